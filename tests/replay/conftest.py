"""The tiny town of the matching tests (tests/helpers/town.py), as a fixture."""

from __future__ import annotations

import pytest

from tests.helpers.town import Town


@pytest.fixture
def town() -> Town:
    """The tiny town's builders."""
    return Town()
