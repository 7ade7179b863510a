"""The hand-built histories of the outcome tests (tests/helpers/outcomes.py), as a fixture."""

from __future__ import annotations

import pytest

from tests.helpers.outcomes import History


@pytest.fixture
def history() -> History:
    """An empty history to add records to."""
    return History()
