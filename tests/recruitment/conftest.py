"""The recruitment tests' policy with scenario shares that keep the arithmetic visible."""

from __future__ import annotations

from dataclasses import replace

import pytest

from recruitment import RecruitmentPolicy, load_recruitment_policy


@pytest.fixture
def plain_policy() -> RecruitmentPolicy:
    """The shipped policy with scenario shares that keep the arithmetic visible."""
    return replace(
        load_recruitment_policy(),
        family_share=1.0,
        kin_share=0.0,
        own_community_target=1.0,
        suppression_threshold=0,
        max_trend_factor=1.5,
    )
