"""The engine's sentences as keys and values: English as before, JSON-safe, and renderable in
another language from the JSON alone."""

from __future__ import annotations

import json
import pickle
import string
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import matching
from matching import RULES, greedy, plan
from matching.messages import ENGLISH, Message, Wording, render

if TYPE_CHECKING:
    from tests.helpers.town import Town

SOURCE = "\n".join(
    p.read_text(encoding="utf-8") for p in sorted(Path(matching.__file__).parent.glob("*.py"))
)
DYNAMIC = ("rule.", "language.")  # keys built from a rule's name or a language code


def messages_in(value: Any) -> list[dict[str, Any]]:
    """Every ``*_i18n`` message of a JSON result."""
    found: list[dict[str, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("_i18n"):
                found += [m for m in (item if isinstance(item, list) else [item]) if m]
            else:
                found += messages_in(item)
    elif isinstance(value, list):
        for item in value:
            found += messages_in(item)
    return found


def keys_in(message: dict[str, Any]) -> set[str]:
    """The key of a message and of every message nested in its values."""
    keys = {message["key"]}
    stack = list(message["args"].values())
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            keys |= keys_in(value)
        elif isinstance(value, list):
            stack += value
    return keys


def a_busy_town(town: Town) -> list[dict[str, Any]]:
    """Rankings that say most of what the engine can say, as JSON."""
    child = town.child(
        "C1",
        languages=("es", "en"),
        religion="catholic",
        cultural_needs=frozenset({"halal food"}),
        school=town.north(3),
    )
    siblings = [
        town.child("C1", languages=("so",), religion="muslim"),
        town.child("C2", age=0, sex="male", languages=("so", "ar")),
        town.child("C3", age=15, sex="unknown"),
    ]
    homes = [
        town.home("H1", km=2, languages=("en",), religion="catholic", free_beds=3),
        town.home(
            "H2",
            km=8,
            community="B",
            languages=("es",),
            kin_of=frozenset({"C1"}),
            kin_relationship="maternal aunt",
            licensed=False,
        ),
        town.home("H3", km=30, community="C", cultural_offers=frozenset({"halal food"})),
        town.home("H4", km=4, age_min=10, age_max=17),
        town.home("H5", km=3, accepts_sex="female", free_beds=3, max_siblings=3),
        town.home("H6", km=5, free_beds=2, max_siblings=2, languages=("ar",)),
        town.home("H7", km=26, community=None, free_beds=3, max_siblings=3),
        town.home("H8", km=6, free_beds=3, max_siblings=3, capabilities=frozenset({"infant"})),
        town.home("H9", km=1, free_beds=0, last_placed_on=town.as_of - timedelta(days=40)),
        town.home(
            "H10", km=7, placements_last_year=2, last_placed_on=town.as_of - timedelta(days=90)
        ),
    ]
    results = [
        town.rank([child], homes),
        town.rank(siblings, homes),
        town.rank([town.child("C9", age=16)], [town.home("H1", km=40, age_max=11)]),
        town.rank(  # a group of three no home takes whole: each fails one rule
            [
                town.child("C1"),
                town.child("C3", age=15, sex="unknown"),
                town.child("C4", sex="male"),
            ],
            [
                town.home("H5", km=3, accepts_sex="female", free_beds=3, max_siblings=3),
                town.home("H6", km=5, free_beds=3, max_siblings=2),
                town.home("H7", km=26, free_beds=3, max_siblings=3),
            ],
        ),
        town.rank([town.child("C9")], []),
    ]
    return [r.to_json() for r in results]


def test_every_message_is_json_and_says_the_english_sentence_again(town: Town) -> None:
    """Rendering a message's JSON (after a JSON round trip) gives the English field exactly."""
    for result in a_busy_town(town):
        wire = json.loads(json.dumps(result))  # numpy values would fail here
        for candidate in wire["candidates"]:
            for f in candidate["factors"]:
                assert render(f["reason_i18n"]) == f["reason"]
        for miss in wire["near_misses"]:
            assert render(miss["detail_i18n"]) == miss["detail"]
        said = [render(m) for m in wire["suggestions_i18n"]]
        assert said == wire["suggestions"]
        assert [render(m) for m in wire["notes_i18n"]] == wire["notes"]
        if wire["message"] is not None:
            assert render(wire["message_i18n"]) == wire["message"]


def test_a_plan_says_why_in_keys_too(town: Town) -> None:
    """The plan's and greedy's unplaced reasons carry their messages, JSON-safe."""
    children = [town.child("C1"), town.child("C2", age=16), town.child("C3")]
    homes = [town.home("H1", km=2), town.home("H2", km=40, age_max=11)]
    snapshot = town.snapshot(homes)
    for result in (
        plan(children, snapshot, town.communities, town.policy, time_limit_s=5, seed=0),
        greedy(children, snapshot, town.communities, town.policy),
    ):
        wire = json.loads(json.dumps(result.to_json()))
        assert wire["unplaced"], "the town has one bed for three children"
        for unplaced in wire["unplaced"]:
            rendered = [render(m) for m in unplaced["reasons_i18n"]]
            assert rendered == unplaced["reasons"]


def test_another_wording_says_it_from_the_json_alone(town: Town) -> None:
    """A table with other words, a decimal comma and "y": every message renders without
    a word of the English table, and numbers, lists and nested messages follow it."""
    marked = Wording(
        {
            key: f"<{key}>" + "".join(f"[{{{f}}}]" for f in fields(text))
            for key, text in ENGLISH.items()
        },
        and_word="y",
        decimal_comma=True,
    )
    seen: set[str] = set()
    for result in a_busy_town(town):
        for message in messages_in(result):
            text = render(message, marked)
            assert text.startswith(f"<{message['key']}>")
            assert " and " not in text
            seen |= keys_in(message)
    h1 = next(c for c in a_busy_town(town)[0]["candidates"] if c["home_id"] == "H1")
    distance = next(f["reason_i18n"] for f in h1["factors"] if f["name"] == "distance")
    assert render(distance, marked) == "<distance.removal>[2,0]"
    # the town says the nested and listed kinds of message (each rule's tests say the rest)
    assert {
        "kinship.provisional",
        "kinship.relationship",
        "language.first",
        "language.so",
        "whose.id",
        "sex.detail",
        "sex.is",
        "age.infant",
        "radius.suggest",
        "would.take.one",
        "rank.none",
        "rank.near",
        "rank.not_whole",
        "rule.age_range",
        "parts",
    } <= seen, sorted(seen)


def fields(template: str) -> list[str]:
    """The fields of a template with their format specs, in order ("km:.1f")."""
    return [
        f"{name}:{spec}" if spec else name
        for _, name, spec, _ in string.Formatter().parse(template)
        if name
    ]


def test_lists_numbers_and_euphony() -> None:
    """Lists join for a sentence, "; " or "or" on request; numbers take the decimal comma."""
    spanish = Wording(
        {"x": "{a} | {b:or} | {c:;} | {km:.1f}", "y.es": "español", "y.en": "inglés"},
        and_word="y",
        or_word="o",
        decimal_comma=True,
        euphony={"y": (("i", "hi"), "e"), "o": (("o", "ho"), "u")},
    )
    message = {
        "key": "x",
        "args": {
            "a": [{"key": "y.es", "args": {}}, {"key": "y.en", "args": {}}],
            "b": ["siete", "ocho"],
            "c": ["uno", "dos"],
            "km": 1234.56,
        },
    }
    assert render(message, spanish) == "español e inglés | siete u ocho | uno; dos | 1234,6"
    assert str(Message("ago.days", n=3)) == "3 days ago"
    assert Message("kinship.named.some", ids=["C1", "C2", "C3"]) == "named for C1, C2 and C3"


def test_a_message_is_a_string_that_pickles_with_its_key() -> None:
    """Plan jobs and caches may pickle results: the key and values survive."""
    message = Message(
        "unplaced.taken", home=Message("unplaced.best_home", home="H1", km=2.25), ids=["C2"]
    )
    again = pickle.loads(pickle.dumps(message))
    assert isinstance(again, Message) and isinstance(again, str)
    assert again == message == "the best, H1 (2.2 km), went to C2"
    assert again.to_json() == message.to_json()
    nested = Message("community.same", distance=Message("distance.removal", km=2.1), name="Pilsen")
    assert (
        pickle.loads(pickle.dumps(nested))
        == nested
        == ("2.1 km from the removal address, same community: Pilsen")
    )


def test_an_unknown_key_is_a_bug_that_says_its_name() -> None:
    with pytest.raises(KeyError, match=r"no\.such\.key"):
        Message("no.such.key")


def test_every_english_key_is_said_somewhere_and_rule_names_match_the_rules() -> None:
    """No dead key in the table; the rule keys say each rule's label."""
    for key in ENGLISH:
        if key.startswith(DYNAMIC):
            continue
        base = key.rsplit(".", 1)[0] if key.endswith((".one", ".many")) else key
        assert f'"{key}"' in SOURCE or f'"{base}"' in SOURCE, f"{key} is never said"
    for rule in RULES:
        assert ENGLISH[f"rule.{rule.name}"] == rule.label
