"""The policy file: shipped defaults, partial overrides, and errors that name the file and key."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from matching import Policy, PolicyError, Weights, load_policy


def write(folder: Path, text: str) -> Path:
    path = folder / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_defaults_load() -> None:
    """The shipped policy: US profile (ICWA on), 25 km radius, suppression threshold 10."""
    policy = load_policy()
    assert policy.jurisdiction == "us" and policy.icwa
    assert policy.radius_km == 25.0
    assert policy.suppression_threshold == 10
    assert policy.weights.of("same_community") == 3.0
    assert policy.source == "policy.toml"


def test_a_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    """Keys left out keep the shipped value; an integer weight reads as a float."""
    path = write(tmp_path, "[search]\nradius_km = 40\n[weights]\nlanguage = 5\n")
    policy = load_policy(path)
    assert policy.radius_km == 40.0
    assert policy.weights.language == 5.0
    assert policy.weights.distance == load_policy().weights.distance
    assert policy.source == str(path)


def test_a_generic_jurisdiction_switches_icwa_off(tmp_path: Path) -> None:
    """jurisdiction = "generic" turns the ICWA order off."""
    assert not load_policy(write(tmp_path, 'jurisdiction = "generic"\n')).icwa


def test_a_bad_value_names_the_file_and_the_key(tmp_path: Path) -> None:
    """A weight that is not a number is reported as FILE: weights.language: expected ..."""
    path = write(tmp_path, '[weights]\nlanguage = "high"\n')
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value) == f'{path}: weights.language: expected a number >= 0, got "high"'


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        pytest.param(
            "[search]\nradius_km = 0\n", "search.radius_km", "> 0, got 0", id="zero-radius"
        ),
        pytest.param("[weights]\ndistance = -1.0\n", "weights.distance", ">= 0", id="negative"),
        pytest.param("[weights]\nkinship = true\n", "weights.kinship", "got true", id="bool"),
        pytest.param('jurisdiction = "eu"\n', "jurisdiction", '"us", "generic"', id="profile"),
        pytest.param(
            "[shape]\nlanguage_partial = 1.5\n", "shape.language_partial", "in [0, 1]", id="share"
        ),
        pytest.param(
            "[privacy]\nsuppression_threshold = 2.5\n",
            "privacy.suppression_threshold",
            "whole number",
            id="threshold",
        ),
        pytest.param(
            "[search]\nkin_homes_only_for_their_kin = 1\n",
            "search.kin_homes_only_for_their_kin",
            "true or false",
            id="flag",
        ),
        pytest.param("weights = 3\n", "weights", "expected a table", id="table"),
        pytest.param(
            '[plan]\nfirst = "siblings"\n', "plan.first", '"sibling_groups_whole"', id="first"
        ),
    ],
)
def test_every_bad_value_is_reported_with_its_key(
    tmp_path: Path, text: str, key: str, words: str
) -> None:
    """Each out-of-range or mistyped value names the file and its dotted key."""
    path = write(tmp_path, text)
    with pytest.raises(PolicyError, match=rf"^{re.escape(f'{path}: {key}: ')}.*{re.escape(words)}"):
        load_policy(path)


def test_an_unknown_key_is_an_error(tmp_path: Path) -> None:
    """A misspelt key is refused, not silently ignored."""
    path = write(tmp_path, "[search]\nradius = 30\n")
    with pytest.raises(PolicyError, match=rf"^{re.escape(str(path))}: search.radius: unknown key"):
        load_policy(path)


def test_an_unknown_factor_weight_is_an_error(tmp_path: Path) -> None:
    """A weight for a factor that does not exist lists the factors."""
    path = write(tmp_path, "[weights]\nrace = 1.0\n")
    with pytest.raises(
        PolicyError,
        match=rf"^{re.escape(str(path))}: weights.race: unknown factor; expected one of kinship",
    ):
        load_policy(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    """A policy file that does not exist is a PolicyError naming it."""
    path = tmp_path / "nowhere.toml"
    with pytest.raises(PolicyError, match=rf"^{re.escape(str(path))}: no such policy file"):
        load_policy(path)


def test_invalid_toml_is_reported(tmp_path: Path) -> None:
    """A file that is not TOML says so, with the parser's line."""
    path = write(tmp_path, "[search\nradius_km = 3\n")
    with pytest.raises(PolicyError, match=rf"^{re.escape(str(path))}: not valid TOML: .*line 1"):
        load_policy(path)


def test_values_set_in_code_are_validated_too() -> None:
    """dataclasses.replace with a bad value fails naming the field."""
    with pytest.raises(
        PolicyError, match=r"Policy.radius_km \(search.radius_km\): expected a number > 0"
    ):
        dataclasses.replace(load_policy(), radius_km=-3)
    with pytest.raises(PolicyError, match=r"Weights.school: expected a number >= 0"):
        dataclasses.replace(load_policy().weights, school=-1)


def test_the_shipped_file_sets_every_weight() -> None:
    """Every factor has a weight in the shipped policy, and the policy is plain data."""
    policy = load_policy()
    assert set(Weights.names()) == set(policy.to_dict()["weights"])
    assert isinstance(policy, Policy)
