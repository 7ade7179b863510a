"""Engine inputs: validated once with errors naming the record and field; no race field (MEPA)."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import numpy as np
import pytest

from geo import CommunityIndex, LatLon
from matching import Child, Communities, Home, HomeSnapshot, InputError, PlacedSibling
from matching.request import PlacementRequest

HERE = LatLon(41.85, -87.65)


def test_no_input_type_has_a_race_or_ethnicity_field() -> None:
    """No field of any matching input mentions race, ethnicity, Hispanic origin or colour."""
    forbidden = ("race", "ethnic", "hispanic", "colour", "color", "national_origin")
    for record in (Child, Home):
        for f in dataclasses.fields(record):
            assert not any(word in f.name.lower() for word in forbidden), (record, f.name)


def test_a_valid_child_normalises_its_collections() -> None:
    """Lists become tuples/frozensets; a repeated language is kept once, first mention first."""
    # lists on purpose: a caller without type checking passes them, and Child normalises
    raw: dict[str, Any] = {"languages": ["es", "en", "es"], "needs": ["medical"]}
    child = Child(id="C1", age=3, sex="male", removal=HERE, **raw)
    assert child.languages == ("es", "en")
    assert child.needs == frozenset({"medical"})
    assert child.primary_language == "es"


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        pytest.param({"age": -1}, "age", "whole number >= 0", id="negative-age"),
        pytest.param({"age": 22}, "age", "<= 21", id="too-old"),
        pytest.param({"age": True}, "age", "whole number", id="bool-age"),
        pytest.param({"sex": "f"}, "sex", "female, male, unknown", id="sex-code"),
        pytest.param({"needs": ["medical", "hungry"]}, "needs", "'hungry'", id="unknown-need"),
        pytest.param({"languages": ["Spanish"]}, "languages", "ISO 639", id="language-name"),
        pytest.param({"icwa": "maybe"}, "icwa", "reason_to_know", id="icwa-code"),
        pytest.param(
            {"separate_from": ["C1"]}, "separate_from", "themselves", id="self-separation"
        ),
        pytest.param({"excluded_homes": "H1"}, "excluded_homes", "collection", id="bare-string"),
        pytest.param({"removal": (41.0, -87.0)}, "removal", "LatLon", id="tuple-point"),
        pytest.param({"school": "home"}, "school", "LatLon", id="school"),
        pytest.param({"waiting_since": "2026-01-01"}, "waiting_since", "date", id="text-date"),
        pytest.param({"birth_date": "2010-05-01"}, "birth_date", "date", id="text-birth-date"),
        pytest.param(
            {"placed_siblings": ["C2"]}, "placed_siblings", "PlacedSibling", id="sibling-id"
        ),
        pytest.param(
            {"placed_siblings": [PlacedSibling("C1", "male", "H1")]},
            "placed_siblings",
            "own sibling",
            id="own-sibling",
        ),
    ],
)
def test_a_bad_child_field_is_named_in_the_error(
    fields: dict[str, object], field: str, words: str
) -> None:
    """Each bad child field raises InputError naming the child id and the field."""
    values: dict[str, object] = {"id": "C1", "age": 8, "sex": "female", "removal": HERE}
    values.update(fields)
    with pytest.raises(InputError, match=f"^Child C1: {field}: .*{words}") as caught:
        Child(**values)  # type: ignore[arg-type]
    assert (caught.value.record_id, caught.value.field) == ("C1", field)


def test_a_placed_sibling_names_a_bad_field() -> None:
    """A sibling of unknown sex, or with no home, is refused naming the sibling and field."""
    with pytest.raises(InputError, match=r"^PlacedSibling C2: sex: "):
        PlacedSibling("C2", "boy", "H1")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"^PlacedSibling C2: home_id: "):
        PlacedSibling("C2", "male", "")


def test_days_waited_and_the_coming_18th_birthday() -> None:
    """Days from waiting_since; the 18th birthday only within the window (today counts), and a
    29 February birthday falls on 1 March."""
    as_of = date(2026, 3, 1)
    child = Child(
        id="C1",
        age=17,
        sex="female",
        removal=HERE,
        waiting_since=date(2025, 3, 1),
        birth_date=date(2008, 6, 9),
    )
    assert child.waited_days(as_of) == 365
    assert child.turns_18_on(as_of) == date(2026, 6, 9)  # in 100 days
    assert child.turns_18_on(as_of, within_days=99) is None
    later = dataclasses.replace(child, birth_date=date(2008, 9, 17))  # in 200 days
    assert later.turns_18_on(as_of) is None
    today = dataclasses.replace(child, birth_date=date(2008, 3, 1))
    assert today.turns_18_on(as_of) == as_of
    leap = dataclasses.replace(child, birth_date=date(2008, 2, 29))
    assert leap.turns_18_on(date(2026, 2, 1)) == date(2026, 3, 1)
    unknown = Child(id="C2", age=17, sex="male", removal=HERE)
    assert (unknown.waited_days(as_of), unknown.turns_18_on(as_of)) == (None, None)


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        pytest.param({"free_beds": 3}, "free_beds", "<= 2", id="more-free-than-capacity"),
        pytest.param({"free_beds": -1}, "free_beds", ">= 0", id="negative-free-beds"),
        pytest.param({"kind": "group_home"}, "kind", "kin, foster", id="kind-code"),
        pytest.param({"status": "open"}, "status", "active", id="status-code"),
        pytest.param({"age_min": 12, "age_max": 5}, "age_max", "below age_min", id="age-range"),
        pytest.param({"max_siblings": 0}, "max_siblings", ">= 1", id="max-siblings"),
        pytest.param({"capabilities": ["flying"]}, "capabilities", "infant", id="capability"),
        pytest.param({"tribe_licensed": True}, "tribe_licensed", "needs a tribe", id="tribe"),
        pytest.param({"accepts_sex": "girls"}, "accepts_sex", "any, female", id="accepts"),
        pytest.param({"licensed": "yes"}, "licensed", "True or False", id="licensed-text"),
        pytest.param({"placements_last_year": -2}, "placements_last_year", ">= 0", id="load"),
    ],
)
def test_a_bad_home_field_is_named_in_the_error(
    fields: dict[str, object], field: str, words: str
) -> None:
    """Each bad home field raises InputError naming the home id and the field."""
    values: dict[str, object] = {
        "id": "H1",
        "kind": "foster",
        "location": HERE,
        "capacity": 2,
        "free_beds": 1,
    }
    values.update(fields)
    with pytest.raises(InputError, match=f"^Home H1: {field}: .*{words}"):
        Home(**values)  # type: ignore[arg-type]


def test_inputs_are_frozen() -> None:
    """Children and homes cannot be changed after they are built."""
    child = Child(id="C1", age=8, sex="female", removal=HERE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        child.age = 9  # type: ignore[misc]


def test_communities_are_made_symmetric_and_checked() -> None:
    """Adjacency given one way is known both ways; an unknown neighbour is an error."""
    communities = Communities({"A": "Alpha", "B": "Beta"}, {"A": ["B"]})
    assert communities.neighbours("B") == frozenset({"A"})
    assert communities.name("A") == "Alpha"
    with pytest.raises(InputError, match="Community A: adjacency: neighbour 'Z'"):
        Communities({"A": "Alpha"}, {"A": ["Z"]})
    with pytest.raises(InputError, match="not its own neighbour"):
        Communities({"A": "Alpha"}, {"A": ["A"]})
    with pytest.raises(KeyError, match="unknown community 'Z'"):
        communities.name("Z")


def test_communities_from_a_geo_index_keep_names_and_touching_polygons() -> None:
    """Two squares sharing an edge become two named, neighbouring communities."""

    def square(x0: float) -> dict[str, object]:
        ring = [[x0, 41.8], [x0 + 0.1, 41.8], [x0 + 0.1, 41.9], [x0, 41.9], [x0, 41.8]]
        return {"type": "Polygon", "coordinates": [ring]}

    index = CommunityIndex.from_geojson(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"id": "1", "name": "West"},
                    "geometry": square(-87.8),
                },
                {
                    "type": "Feature",
                    "properties": {"id": "2", "name": "East"},
                    "geometry": square(-87.7),
                },
            ],
        }
    )
    communities = Communities.from_index(index)
    assert communities.ids == frozenset({"1", "2"})
    assert communities.neighbours("1") == frozenset({"2"})
    assert communities.name("2") == "East"


def test_snapshot_columns_follow_the_homes() -> None:
    """The snapshot keeps one position per home, with codes, bitmasks and a kin index."""
    homes = [
        Home(id="H2", kind="foster", location=HERE, capacity=2, free_beds=2, languages=("es",)),
        Home(
            id="H1",
            kind="kin",
            location=LatLon(41.9, -87.6),
            capacity=1,
            free_beds=1,
            kin_of=frozenset({"C7"}),
            licensed=False,
            capabilities=frozenset({"infant"}),
            last_placed_on=date(2026, 2, 1),
        ),
    ]
    snapshot = HomeSnapshot(homes, as_of=date(2026, 3, 1))
    assert snapshot.ids == ("H2", "H1")
    assert snapshot.position("H1") == 1
    assert snapshot.speaks("es").tolist() == [True, False]
    assert snapshot.speaks("zz").tolist() == [False, False]
    assert snapshot.kin_positions("C7").tolist() == [1]
    assert snapshot.licensed.tolist() == [True, False]
    assert snapshot.days_since_placed[1] == 28 and np.isnan(snapshot.days_since_placed[0])
    assert snapshot.id_order.tolist() == [1, 0]  # H1 sorts before H2
    with pytest.raises(ValueError, match="read-only"):
        snapshot.free_beds[0] = 5


def test_snapshot_refuses_duplicate_home_ids() -> None:
    """Two homes with one id are an error naming the id and both positions."""
    home = Home(id="H1", kind="foster", location=HERE, capacity=1, free_beds=1)
    with pytest.raises(InputError, match=r"Home H1: id: duplicate id \(positions 0 and 1\)"):
        HomeSnapshot([home, home], as_of=date(2026, 1, 1))


def test_a_request_is_in_id_order_and_refuses_a_child_twice() -> None:
    """The same children in any order make the same request; a repeated child is an error."""
    a = Child(id="C2", age=5, sex="male", removal=HERE, separate_from=frozenset({"C1"}))
    b = Child(id="C1", age=7, sex="female", removal=HERE)
    request = PlacementRequest([a, b])
    assert request.ids == ("C1", "C2")
    assert request.separated == ((0, 1),)
    with pytest.raises(InputError, match="C1: id: passed twice"):
        PlacementRequest([b, b])
    with pytest.raises(ValueError, match="at least one child"):
        PlacementRequest([])
