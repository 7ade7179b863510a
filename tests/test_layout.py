"""The dependency rule of DESIGN.md §3: engines and geo load no database or web framework."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("package", ["core", "geo", "matching", "recruitment", "outcomes"])
def test_engines_do_not_import_the_database_or_the_web(package: str) -> None:
    """Importing an engine package loads neither sqlmodel, sqlalchemy nor fastapi, nor data/api."""
    code = (
        f"import sys, {package}; "
        "bad = sorted(m for m in ('sqlmodel', 'sqlalchemy', 'fastapi', 'data', 'api') if m in sys.modules); "
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
