"""The recruitment policy file: shipped defaults, overrides, and errors naming the key."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from recruitment import PolicyError, load_recruitment_policy


def test_shipped_defaults_load() -> None:
    """The shipped file defines every key with the documented defaults."""
    policy = load_recruitment_policy()
    assert policy.horizon_months == 12
    assert policy.projection == "stock_flow"
    assert policy.service_level == 0.9
    assert policy.suppression_threshold == 10
    assert policy.needs_order[0] == "therapeutic"
    assert policy.interests["teens"] == ("age:13-17",)


def test_a_file_overrides_some_keys(tmp_path: Path) -> None:
    """Keys left out keep their defaults; the source names the file."""
    path = tmp_path / "agency.toml"
    path.write_text(
        "[scenario]\nkin_share = 0.5\n[privacy]\nsuppression_threshold = 4\n", encoding="utf-8"
    )
    policy = load_recruitment_policy(path)
    assert policy.kin_share == 0.5 and policy.suppression_threshold == 4
    assert policy.horizon_months == 12 and policy.source == str(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[scenario]\nkin_share = 1.5\n",
            r"scenario.kin_share: expected a number in \[0, 1\], got 1.5",
        ),
        (
            "[scenario]\nservice_level = 1.0\n",
            r"scenario.service_level: expected a number in \(0, 1\)",
        ),
        (
            "[projection]\nhorizon_months = 0\n",
            "projection.horizon_months: expected a whole number >= 1",
        ),
        (
            '[projection]\nmethod = "littles_law"\n',
            'projection.method: expected one of "stock_flow", "steady_state", got "littles_law"',
        ),
        ("[privacy]\nthreshold = 3\n", "privacy.threshold: unknown key"),
        ("[colours]\nx = 1\n", "colours: unknown key"),
        (
            '[segments]\nneeds_order = ["medical"]\n',
            "segments.needs_order: expected every need once",
        ),
        (
            '[segments]\ninterests = { teens = ["teens"] }\n',
            "segments.interests: teens: expected a list of segment values",
        ),
        (
            '[outreach]\nkind_affinity = { "age:13-17" = { school = 2 } }\n',
            r"outreach.kind_affinity: age:13-17: expected a number in \[0, 1\]",
        ),
        ("[scenario\n", "not valid TOML"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    """Every problem names the file and the dotted key, and what is expected."""
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match=message):
        load_recruitment_policy(path)


def test_projection_method_can_be_chosen(tmp_path: Path) -> None:
    """An agency may keep Little's law (steady state) instead of the stock-flow projection."""
    path = tmp_path / "agency.toml"
    path.write_text('[projection]\nmethod = "steady_state"\n', encoding="utf-8")
    assert load_recruitment_policy(path).projection == "steady_state"


def test_missing_file_is_named(tmp_path: Path) -> None:
    """A missing policy file is reported by its name."""
    with pytest.raises(PolicyError, match="no such policy file"):
        load_recruitment_policy(tmp_path / "missing.toml")


def test_values_set_in_code_are_checked() -> None:
    """dataclasses.replace goes through the same checks."""
    with pytest.raises(
        PolicyError, match=r"RecruitmentPolicy.choice_factor \(scenario.choice_factor\)"
    ):
        replace(load_recruitment_policy(), choice_factor=0.5)
    with pytest.raises(
        PolicyError,
        match=r'RecruitmentPolicy.projection \(projection.method\): expected one of "stock_flow"',
    ):
        replace(load_recruitment_policy(), projection="stock-flow")
    with pytest.raises(PolicyError, match="min_prior_child_years"):
        replace(load_recruitment_policy(), min_prior_child_years=10.0, max_prior_child_years=5.0)
