"""Settings load from the shipped TOML and refuse what they do not know."""

from __future__ import annotations

from pathlib import Path

import pytest

from outcomes import OutcomeSettings, load_settings


def test_shipped_defaults_are_the_documented_defaults() -> None:
    """outcomes/defaults.toml holds the same values as OutcomeSettings()."""
    assert load_settings() == OutcomeSettings()


def test_a_file_changes_a_value(tmp_path: Path) -> None:
    """A settings file sets the suppression threshold and a reference group."""
    path = tmp_path / "s.toml"
    path.write_text('suppress_below = 6\n[reference]\nrace = "white"\n', encoding="utf-8")
    settings = load_settings(path)
    assert settings.suppress_below == 6 and settings.reference == {"race": "white"}


def test_unknown_key_and_bad_values_are_named(tmp_path: Path) -> None:
    """An unknown key, an unknown setting code and a zero threshold are refused by name."""
    path = tmp_path / "s.toml"
    path.write_text("supress_below = 6\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown setting 'supress_below'"):
        load_settings(path)
    path.write_text('congregate_settings = ["castle"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="congregate_settings: unknown setting 'castle'"):
        load_settings(path)
    with pytest.raises(ValueError, match="suppress_below"):
        OutcomeSettings(suppress_below=0)


def test_a_missing_or_broken_file_is_named(tmp_path: Path) -> None:
    """The same errors as the matching and recruitment policy files (one loader)."""
    missing = tmp_path / "nope.toml"
    with pytest.raises(ValueError, match=rf"^{missing}: no such policy file"):
        load_settings(missing)
    broken = tmp_path / "broken.toml"
    broken.write_text("suppress_below = \n", encoding="utf-8")
    with pytest.raises(ValueError, match=rf"^{broken}: not valid TOML: .*line 1"):
        load_settings(broken)
