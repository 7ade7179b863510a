"""The synthetic sample county: reproducible, valid by every rule of the format, calibrated.

The county is generated once per module (seed 1); ``check_folder`` is the specification of
the folder's invariants, written against the CSV files alone.
"""

from __future__ import annotations

import csv
import filecmp
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from data.generate import DEFAULT_AS_OF, GenerationSummary, generate
from data.importing import import_folder
from geo import CommunityIndex

FILES = (
    "communities.geojson",
    "homes.csv",
    "children.csv",
    "episodes.csv",
    "placements.csv",
    "applicants.csv",
    "partners.csv",
)
HEADERS = {
    "homes.csv": "id,kind,status,latitude,longitude,capacity,age_min,age_max,accepts_sex,"
    "max_siblings,capabilities,languages,religion,cultural_offers,tribe,tribe_licensed,kin_of,"
    "kin_relationship,licensed_on,closed_on,closed_reason",
    "children.csv": "id,birth_date,sex,race,hispanic,languages,religion,cultural_needs,tribe,"
    "icwa,needs,sibling_group,separate_from,excluded_homes,school_latitude,school_longitude",
    "episodes.csv": "child_id,removed_on,removal_latitude,removal_longitude,discharged_on,"
    "discharge_reason",
    "placements.csv": "child_id,setting,home_id,started_on,ended_on,end_reason",
    "applicants.csv": "id,stage,stage_on,latitude,longitude,interests,languages",
    "partners.csv": "id,name,kind,latitude,longitude,languages,contact",
}
CODES = {
    ("homes.csv", "kind"): {"kin", "foster", "therapeutic", "pre_adoptive"},
    ("homes.csv", "status"): {"active", "on_hold", "closed"},
    ("homes.csv", "accepts_sex"): {"any", "female", "male", ""},
    ("homes.csv", "tribe_licensed"): {"yes", "no", ""},
    ("children.csv", "sex"): {"female", "male", "unknown"},
    ("children.csv", "hispanic"): {"yes", "no", "unknown", ""},
    ("children.csv", "icwa"): {"yes", "no", "reason_to_know", ""},
    ("episodes.csv", "discharge_reason"): {
        "reunification", "relative", "adoption", "guardianship", "emancipation", "transfer",
        "runaway", "death", "",
    },
    ("placements.csv", "setting"): {
        "pre_adoptive", "kin_home", "foster_home", "group_home", "institution",
        "independent_living", "runaway", "trial_home_visit", "shelter",
    },
    ("placements.csv", "end_reason"): {
        "move", "disruption", "step_down", "step_up", "discharge", "home_closed", "",
    },
    ("applicants.csv", "stage"): {
        "inquiry", "application", "training", "home_study", "licensed", "withdrawn",
    },
    ("partners.csv", "kind"): {
        "faith", "school", "community_centre", "health", "cultural_association", "other",
    },
}  # fmt: skip
LIST_CODES = {
    ("homes.csv", "capabilities"): {
        "medical",
        "behavioral",
        "developmental",
        "therapeutic",
        "infant",
    },
    ("children.csv", "race"): {"aian", "asian", "black", "nhpi", "white", "unknown"},
    ("children.csv", "needs"): {"medical", "behavioral", "developmental", "therapeutic"},
}
ID_PATTERNS = {"homes.csv": "H", "children.csv": "C", "applicants.csv": "A", "partners.csv": "P"}
FAMILY = {"pre_adoptive", "kin_home", "foster_home"}
WAITING = {"", "shelter", "group_home", "institution"}
POINTS = {
    "homes.csv": [("latitude", "longitude")],
    "children.csv": [("school_latitude", "school_longitude")],
    "episodes.csv": [("removal_latitude", "removal_longitude")],
    "applicants.csv": [("latitude", "longitude")],
    "partners.csv": [("latitude", "longitude")],
}
AS_OF = DEFAULT_AS_OF
WINDOW_START = date(AS_OF.year - 5, AS_OF.month, AS_OF.day)


@dataclass
class Folder:
    """A generated folder read back with the csv module."""

    path: Path
    summary: GenerationSummary
    rows: dict[str, list[dict[str, str]]]
    communities: CommunityIndex

    def __getitem__(self, name: str) -> list[dict[str, str]]:
        return self.rows[name]


def read_folder(path: Path, summary: GenerationSummary) -> Folder:
    rows = {}
    for name in HEADERS:
        with (path / name).open(encoding="utf-8", newline="") as f:
            rows[name] = list(csv.DictReader(f))
    communities = CommunityIndex.from_geojson(path / "communities.geojson")
    return Folder(path, summary, rows, communities)


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Folder:
    """The county of seed 1, generated once for the module."""
    path = tmp_path_factory.mktemp("county")
    summary = generate(path, seed=1, scale="county")
    return read_folder(path, summary)


def d(text: str) -> date:
    return date.fromisoformat(text)


def open_placements_on_as_of(folder: Folder) -> dict[str, dict[str, str]]:
    return {p["child_id"]: p for p in folder["placements.csv"] if not p["ended_on"]}


def in_care(folder: Folder) -> set[str]:
    return {e["child_id"] for e in folder["episodes.csv"] if not e["discharged_on"]}


# -- the invariants of the format ----------------------------------------------------------


def check_folder(folder: Folder) -> list[str]:
    """Every violation of the folder rules (the folder format's and the importer's), as sentences."""
    problems: list[str] = []
    problems += _check_files(folder)
    problems += _check_references(folder)
    problems += _check_homes(folder)
    problems += _check_timelines(folder)
    problems += _check_capacity(folder)
    problems += _check_points(folder)
    return problems


def _check_files(folder: Folder) -> list[str]:
    problems = []
    for name, header in HEADERS.items():
        raw = (folder.path / name).read_bytes()
        if b"\r" in raw:
            problems.append(f"{name}: has \\r line endings")
        if raw.decode("utf-8").split("\n", 1)[0] != header:
            problems.append(f"{name}: header is not {header}")
        rows = folder[name]
        if name in ID_PATTERNS:
            ids = [r["id"] for r in rows]
            if len(set(ids)) != len(ids):
                problems.append(f"{name}: duplicate ids")
            prefix = ID_PATTERNS[name]
            bad = [i for i in ids if not (i[:1] == prefix and i[1:].isdigit())]
            if bad:
                problems.append(f"{name}: ids not like {prefix}000001: {bad[:3]}")
        for (file, column), allowed in CODES.items():
            if file == name:
                bad_codes = {r[column] for r in rows} - allowed
                if bad_codes:
                    problems.append(f"{name}: column {column}: unknown codes {sorted(bad_codes)}")
        for (file, column), allowed in LIST_CODES.items():
            if file == name:
                values = {v for r in rows for v in r[column].split(";") if r[column]}
                if values - allowed:
                    problems.append(f"{name}: {column}: unknown codes {sorted(values - allowed)}")
        for row in rows:
            for column in ("languages",):
                for code in row.get(column, "").split(";") if row.get(column) else []:
                    if not (2 <= len(code) <= 3 and code.isalpha() and code.islower()):
                        problems.append(f"{name}: {column}: not an ISO 639 code: {code!r}")
            for column, value in row.items():
                if "; " in value or value != value.strip():
                    problems.append(f"{name}: {column}: spaces around a value or list: {value!r}")
    keys = Counter(
        (p["child_id"], p["started_on"], p["setting"], p["home_id"])
        for p in folder["placements.csv"]
    )
    problems += [f"placements.csv: duplicate record {k}" for k, n in keys.items() if n > 1]
    episode_keys = Counter((e["child_id"], e["removed_on"]) for e in folder["episodes.csv"])
    problems += [f"episodes.csv: duplicate record {k}" for k, n in episode_keys.items() if n > 1]
    return problems


def _check_references(folder: Folder) -> list[str]:
    problems = []
    children = {c["id"] for c in folder["children.csv"]}
    homes = {h["id"]: h for h in folder["homes.csv"]}
    groups: dict[str, list[str]] = defaultdict(list)
    for c in folder["children.csv"]:
        for other in filter(None, c["separate_from"].split(";")):
            if other not in children or other == c["id"]:
                problems.append(f"children.csv: {c['id']}: separate_from {other} is not a sibling")
        for home_id in filter(None, c["excluded_homes"].split(";")):
            if home_id not in homes:
                problems.append(f"children.csv: {c['id']}: excluded home {home_id} unknown")
        if c["sibling_group"]:
            groups[c["sibling_group"]].append(c["id"])
    problems += [f"sibling group {g} has one child" for g, m in groups.items() if len(m) < 2]
    problems += [f"sibling group {g} has more than 6" for g, m in groups.items() if len(m) > 6]
    for h in folder["homes.csv"]:
        for child in filter(None, h["kin_of"].split(";")):
            if child not in children:
                problems.append(f"homes.csv: {h['id']}: kin_of {child} unknown")
    for name in ("episodes.csv", "placements.csv"):
        for r in folder[name]:
            if r["child_id"] not in children:
                problems.append(f"{name}: unknown child {r['child_id']}")
    for p in folder["placements.csv"]:
        family = p["setting"] in FAMILY
        if family != bool(p["home_id"]):
            problems.append(f"placements.csv: {p['child_id']} {p['setting']} home {p['home_id']!r}")
        if p["home_id"] and p["home_id"] not in homes:
            problems.append(f"placements.csv: unknown home {p['home_id']}")
        if p["setting"] == "kin_home":
            home = homes.get(p["home_id"])
            if (
                home is None
                or home["kind"] != "kin"
                or p["child_id"] not in home["kin_of"].split(";")
            ):
                problems.append(
                    f"placements.csv: {p['child_id']} in kin home {p['home_id']} not theirs"
                )
    return problems


def _check_homes(folder: Folder) -> list[str]:
    problems = []
    for h in folder["homes.csv"]:
        closed = h["status"] == "closed"
        if closed != bool(h["closed_on"]) or closed != bool(h["closed_reason"]):
            problems.append(
                f"homes.csv: {h['id']}: status {h['status']} closed_on {h['closed_on']!r}"
            )
        if h["closed_on"] and d(h["closed_on"]) < d(h["licensed_on"]):
            problems.append(f"homes.csv: {h['id']}: closed before licensed")
        if not 1 <= int(h["capacity"]) <= 6:
            problems.append(f"homes.csv: {h['id']}: capacity {h['capacity']}")
        if int(h["age_min"]) > int(h["age_max"]) or int(h["max_siblings"]) > int(h["capacity"]):
            problems.append(f"homes.csv: {h['id']}: ages or max_siblings inconsistent")
        if d(h["licensed_on"]) > AS_OF:
            problems.append(f"homes.csv: {h['id']}: licensed after as_of")
    return problems


def _check_timelines(folder: Folder) -> list[str]:
    problems = []
    birth = {c["id"]: d(c["birth_date"]) for c in folder["children.csv"]}
    homes = {h["id"]: h for h in folder["homes.csv"]}
    episodes: dict[str, list[tuple[date, date | None]]] = defaultdict(list)
    for e in folder["episodes.csv"]:
        start = d(e["removed_on"])
        end = d(e["discharged_on"]) if e["discharged_on"] else None
        if start < birth[e["child_id"]] or start > AS_OF:
            problems.append(
                f"episodes.csv: {e['child_id']} removed {start} (born {birth[e['child_id']]})"
            )
        if end is not None and (end < start or end > AS_OF):
            problems.append(f"episodes.csv: {e['child_id']} discharged {end} after removal {start}")
        if bool(e["discharge_reason"]) != (end is not None):
            problems.append(f"episodes.csv: {e['child_id']}: discharge reason without date")
        episodes[e["child_id"]].append((start, end))
    for child, spells in episodes.items():
        spells.sort()
        for (_, end), (start, _) in pairwise(spells):
            if end is None or end > start:
                problems.append(f"episodes.csv: {child}: episodes overlap")
    placements: dict[str, list[dict[str, str]]] = defaultdict(list)
    for p in folder["placements.csv"]:
        placements[p["child_id"]].append(p)
        if p["ended_on"] and d(p["ended_on"]) < d(p["started_on"]):
            problems.append(f"placements.csv: {p['child_id']}: ends before it starts")
        if bool(p["end_reason"]) != bool(p["ended_on"]):
            problems.append(f"placements.csv: {p['child_id']}: end_reason without end")
        if p["home_id"]:
            home = homes[p["home_id"]]
            if d(p["started_on"]) < d(home["licensed_on"]):
                problems.append(f"placements.csv: {p['child_id']} before {p['home_id']} licensed")
            if home["closed_on"] and (not p["ended_on"] or d(p["ended_on"]) > d(home["closed_on"])):
                problems.append(f"placements.csv: {p['child_id']} after {p['home_id']} closed")
    for child, stays in placements.items():
        spells = episodes[child]
        open_stays = [p for p in stays if not p["ended_on"]]
        if len(open_stays) > 1:
            problems.append(f"placements.csv: {child}: {len(open_stays)} open placements")
        in_spell: dict[int, list[dict[str, str]]] = defaultdict(list)
        for p in stays:
            start = d(p["started_on"])
            where = [
                i for i, (s, e) in enumerate(spells) if s <= start and (e is None or start <= e)
            ]
            if not where:
                problems.append(f"placements.csv: {child}: placement {start} outside episodes")
                continue
            discharged = spells[where[-1]][1]
            if discharged is not None and (not p["ended_on"] or d(p["ended_on"]) > discharged):
                problems.append(f"placements.csv: {child}: not ended by discharge {discharged}")
            in_spell[where[-1]].append(p)
        for spell_stays in in_spell.values():
            # file order: a placement ending the day it starts comes before its successor
            for a, b in pairwise(spell_stays):
                if a["ended_on"] != b["started_on"]:
                    problems.append(
                        f"placements.csv: {child}: {a['ended_on']} != {b['started_on']}"
                    )
    return problems


def _check_capacity(folder: Folder) -> list[str]:
    """No home ever holds more children than its capacity, counting the end day as a day."""
    problems = []
    changes: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for p in folder["placements.csv"]:
        if p["home_id"]:
            end = d(p["ended_on"]) if p["ended_on"] else AS_OF
            changes[p["home_id"]].append((d(p["started_on"]), 1))
            changes[p["home_id"]].append((end + timedelta(days=1), -1))
    capacity = {h["id"]: int(h["capacity"]) for h in folder["homes.csv"]}
    for home, events in changes.items():
        count = 0
        for day, change in sorted(events, key=lambda e: (e[0], e[1])):
            count += change
            if count > capacity[home]:
                problems.append(f"home {home} holds {count} > {capacity[home]} on {day}")
                break
    return problems


def _check_points(folder: Folder) -> list[str]:
    problems = []
    for name, pairs in POINTS.items():
        for lat_col, lon_col in pairs:
            rows = [r for r in folder[name] if r[lat_col] or r[lon_col]]
            if any(len(r[lat_col].split(".")[-1]) != 6 for r in rows):
                problems.append(f"{name}: {lat_col} not written with 6 decimals")
            lats = [float(r[lat_col]) for r in rows]
            lons = [float(r[lon_col]) for r in rows]
            outside = sum(c is None for c in folder.communities.locate(lats, lons))
            if outside:
                problems.append(f"{name}: {outside} points outside every community")
    return problems


# -- tests -----------------------------------------------------------------------------


def test_files_and_summary(county: Folder) -> None:
    """All seven files are written and the summary counts what they hold."""
    assert sorted(p.name for p in county.path.iterdir()) == sorted(FILES)
    s = county.summary
    assert (s.seed, s.scale, s.as_of, s.communities) == (1, "county", AS_OF, 77)
    assert s.homes == len(county["homes.csv"])
    assert s.children == len(county["children.csv"])
    assert s.episodes == len(county["episodes.csv"])
    assert s.placements == len(county["placements.csv"])
    assert s.applicants == len(county["applicants.csv"])
    assert s.partners == len(county["partners.csv"])
    assert s.homes_open == sum(h["status"] != "closed" for h in county["homes.csv"])
    assert s.children_in_care == len(in_care(county))
    current = open_placements_on_as_of(county)
    waiting = [c for c in in_care(county) if current.get(c, {}).get("setting", "") in WAITING]
    assert s.waiting == len(waiting) > 0
    assert "county" in s.summary() and f"{s.children_in_care:,}" in s.summary()


def test_communities_file(county: Folder) -> None:
    """77 communities in id order with display names and an invented child population."""
    communities = county.communities.communities
    assert [c.id for c in communities] == [str(i) for i in range(1, 78)]
    names = {c.id: c.name for c in communities}
    assert names["1"] == "Rogers Park"
    assert names["28"] == "Near West Side"
    assert names["76"] == "O'Hare"
    assert names["59"] == "McKinley Park"
    assert all(c.child_population and c.child_population > 0 for c in communities)
    text = (county.path / "communities.geojson").read_text(encoding="utf-8")
    assert '"properties":{"id":"1","name":"Rogers Park","child_population":' in text


def test_folder_passes_every_rule(county: Folder) -> None:
    """References, dates, timelines, capacities and coordinates all hold."""
    assert check_folder(county) == []


def test_no_race_outside_children(county: Folder) -> None:
    """Race and ethnicity appear only in children.csv."""
    for name, header in HEADERS.items():
        columns = header.split(",")
        assert ("race" in columns or "hispanic" in columns) == (name == "children.csv")


def test_same_seed_same_bytes_other_seed_differs(county: Folder, tmp_path: Path) -> None:
    """The same seed gives byte-identical files; another seed gives other files."""
    again = tmp_path / "again"
    generate(again, seed=1, scale="county")
    _, mismatch, errors = filecmp.cmpfiles(county.path, again, FILES, shallow=False)
    assert (mismatch, errors) == ([], [])
    other = tmp_path / "other"
    generate(other, seed=2, scale="county")
    for name in FILES[1:]:
        assert (other / name).read_bytes() != (county.path / name).read_bytes(), name


def test_a_census_day_moves_every_date_and_keeps_the_agency(county: Folder, tmp_path: Path) -> None:
    """census_day dates the same agency on another day: the same rows, the dates moved.

    Only a child leaving care on an 18th birthday may move a day more or less: birthdays
    follow the calendar, and the calendar of the moved dates has its leap days elsewhere.
    """
    shift = timedelta(days=33)
    moved = tmp_path / "moved"
    summary = generate(moved, seed=1, scale="county", census_day=AS_OF + shift)
    assert summary.as_of == AS_OF + shift
    assert replace(summary, as_of=AS_OF) == county.summary
    again = read_folder(moved, summary)
    dated = off_by_a_day = 0
    for name in HEADERS:
        before, after = county[name], again[name]
        assert [row["id" if "id" in row else "child_id"] for row in before] == [
            row["id" if "id" in row else "child_id"] for row in after
        ]
        for old, new in zip(before, after, strict=True):
            for column, value in old.items():
                if not (column.endswith("_on") or column == "birth_date") or not value:
                    continue
                dated += 1
                days = (d(new[column]) - d(value) - shift).days
                assert abs(days) <= 1, (name, column, old, new)
                off_by_a_day += days != 0
    assert dated > 50_000 and off_by_a_day < dated / 500


def test_importer_accepts_the_folder(county: Folder, sqlite_engine: Engine) -> None:
    """The importer of the folder format loads every row, with no problem reported."""
    report = import_folder(sqlite_engine, county.path)
    inserted = {name: counts.inserted for name, counts in report.files.items()}
    assert inserted == {name: len(county[name]) for name in HEADERS} | {"communities.geojson": 77}


def test_unknown_scale(tmp_path: Path) -> None:
    """An unknown scale is a ValueError naming the choices, and writes nothing."""
    with pytest.raises(ValueError, match=r"unknown scale 'country'.*county, state"):
        generate(tmp_path / "x", scale="country")
    assert not (tmp_path / "x").exists()


def test_progress_messages(tmp_path: Path, county: Folder) -> None:
    """Progress gets short messages about the work, never record ids."""
    messages: list[str] = []
    generate(tmp_path / "p", seed=3, progress=messages.append)
    assert any(m.startswith("simulating ") for m in messages)
    assert "writing placements.csv" in messages
    assert not any(re.search(r"\b[CHAPG]\d{4,}\b", m) for m in messages)


# -- calibration (tolerances stated with each target) ------------------------------------


def test_size_near_target(county: Folder) -> None:
    """About 1,500 children in care (±10%) and 1,000 open homes (±12%) on as_of."""
    assert 1350 <= county.summary.children_in_care <= 1650
    assert 880 <= county.summary.homes_open <= 1120


def test_entries_per_year_and_infants(county: Folder) -> None:
    """Entries ≈ 0.55 x in care per year (±0.08); under-1s ≈ 20% of entries (±5 points)."""
    births = {c["id"]: d(c["birth_date"]) for c in county["children.csv"]}
    entries = [e for e in county["episodes.csv"] if d(e["removed_on"]) > WINDOW_START]
    assert abs(len(entries) / 5 / len(in_care(county)) - 0.55) <= 0.08
    under_one = [e for e in entries if (d(e["removed_on"]) - births[e["child_id"]]).days < 365]
    assert abs(len(under_one) / len(entries) - 0.20) <= 0.05
    ages = [(d(e["removed_on"]) - births[e["child_id"]]).days / 365.25 for e in entries]
    assert max(ages) < 18 and sum(a >= 13 for a in ages) / len(ages) > 0.15


def eighteenth_birthday(born: date) -> date:
    try:
        return born.replace(year=born.year + 18)
    except ValueError:  # born on 29 February
        return date(born.year + 18, 3, 1)


def test_exits(county: Folder) -> None:
    """Reunification ≈ half of exits (±10 points); adoption next; emancipation at 18."""
    exits = [
        e
        for e in county["episodes.csv"]
        if e["discharged_on"] and d(e["discharged_on"]) > WINDOW_START
    ]
    reasons = Counter(e["discharge_reason"] for e in exits)
    assert abs(reasons["reunification"] / len(exits) - 0.5) <= 0.10
    assert reasons["adoption"] == max(n for r, n in reasons.items() if r != "reunification")
    births = {c["id"]: d(c["birth_date"]) for c in county["children.csv"]}
    for e in county["episodes.csv"]:
        adult = eighteenth_birthday(births[e["child_id"]])
        if e["discharged_on"]:
            emancipated = e["discharge_reason"] == "emancipation"
            assert emancipated == (d(e["discharged_on"]) == adult), e
        else:
            assert adult > AS_OF


def test_settings_on_as_of(county: Folder) -> None:
    """Kin ≈ 1/3 of family placements (±8); group home + institution ≈ 15% (±5)."""
    current = open_placements_on_as_of(county)
    children = in_care(county)
    settings = Counter(current[c]["setting"] if c in current else "" for c in children)
    family = sum(settings[s] for s in FAMILY)
    assert abs(settings["kin_home"] / family - 1 / 3) <= 0.08
    assert abs((settings["group_home"] + settings["institution"]) / len(children) - 0.15) <= 0.05
    for setting in ("pre_adoptive", "trial_home_visit", "independent_living", "runaway"):
        assert 0 < settings[setting] / len(children) < 0.08, setting


def test_siblings(county: Folder) -> None:
    """≈ 2/3 of children in care have a sibling in care (±8); many are with all of them."""
    children = in_care(county)
    groups: dict[str, list[str]] = defaultdict(list)
    for c in county["children.csv"]:
        if c["id"] in children and c["sibling_group"]:
            groups[c["sibling_group"]].append(c["id"])
    with_siblings = [c for members in groups.values() if len(members) > 1 for c in members]
    assert abs(len(with_siblings) / len(children) - 2 / 3) <= 0.08
    current = open_placements_on_as_of(county)
    home = {c: current[c]["home_id"] if c in current else "" for c in children}
    together = [
        c
        for members in groups.values()
        if len(members) > 1
        for c in members
        if home[c] and all(home[o] == home[c] for o in members)
    ]
    assert 0.35 <= len(together) / len(with_siblings) <= 0.65
    separated = [c for c in county["children.csv"] if c["separate_from"]]
    assert separated and all(c["sibling_group"] for c in separated)


def test_new_homes_close_within_a_year(county: Folder) -> None:
    """About half of new non-kin homes close within their first year (±12 points)."""
    cutoff = AS_OF - timedelta(days=365)
    new = [
        h
        for h in county["homes.csv"]
        if h["kind"] != "kin" and WINDOW_START < d(h["licensed_on"]) <= cutoff
    ]
    closed = [
        h for h in new if h["closed_on"] and (d(h["closed_on"]) - d(h["licensed_on"])).days <= 365
    ]
    assert abs(len(closed) / len(new) - 0.5) <= 0.12
    on_hold = sum(h["status"] == "on_hold" for h in county["homes.csv"])
    assert 0 < on_hold / county.summary.homes_open < 0.10


def test_reentries_and_moves(county: Folder) -> None:
    """5-12% of reunifications re-enter within a year; 2-6 moves per 1,000 days in care."""
    spells: dict[str, list[date]] = defaultdict(list)
    for e in county["episodes.csv"]:
        spells[e["child_id"]].append(d(e["removed_on"]))
    cutoff = AS_OF - timedelta(days=365)
    # exits in the window only: earlier episodes are kept only for children who came back
    reunified = [
        e
        for e in county["episodes.csv"]
        if e["discharge_reason"] == "reunification"
        and WINDOW_START < d(e["discharged_on"]) <= cutoff
    ]
    back = [
        e
        for e in reunified
        if any(
            timedelta(0) < start - d(e["discharged_on"]) <= timedelta(days=365)
            for start in spells[e["child_id"]]
        )
    ]
    assert 0.05 <= len(back) / len(reunified) <= 0.12
    moves = sum(
        1
        for a, b in pairwise(county["placements.csv"])
        if a["child_id"] == b["child_id"] and a["ended_on"] == b["started_on"]
    )
    days = sum(
        ((d(e["discharged_on"]) if e["discharged_on"] else AS_OF) - d(e["removed_on"])).days
        for e in county["episodes.csv"]
    )
    assert 2 <= moves / days * 1000 <= 6


def test_need_and_supply_are_unevenly_spread(county: Folder) -> None:
    """The 10 communities with most removals per child hold far more removals than homes."""
    ix = county.communities
    population = {c.id: c.child_population or 0 for c in ix.communities}
    entries = [e for e in county["episodes.csv"] if d(e["removed_on"]) > WINDOW_START]
    removals = Counter(
        ix.locate(
            [float(e["removal_latitude"]) for e in entries],
            [float(e["removal_longitude"]) for e in entries],
        ).tolist()
    )
    open_homes = [h for h in county["homes.csv"] if h["status"] != "closed"]
    homes = Counter(
        ix.locate(
            [float(h["latitude"]) for h in open_homes], [float(h["longitude"]) for h in open_homes]
        ).tolist()
    )
    top = sorted(population, key=lambda c: (-removals[c] / population[c], c))[:10]
    removal_share = sum(removals[c] for c in top) / len(entries)
    home_share = sum(homes[c] for c in top) / len(open_homes)
    assert removal_share > 2 * home_share


def test_language_and_teen_gaps(county: Folder) -> None:
    """Spanish-speaking children outnumber Spanish-speaking homes; teens lack homes."""
    children = in_care(county)
    kids = {c["id"]: c for c in county["children.csv"]}
    spanish_children = sum(kids[c]["languages"].split(";")[0] == "es" for c in children)
    open_homes = [h for h in county["homes.csv"] if h["status"] != "closed"]
    spanish_homes = sum("es" in h["languages"].split(";") for h in open_homes)
    assert spanish_children > spanish_homes > 0
    teen_homes = [h for h in open_homes if h["kind"] != "kin" and int(h["age_max"]) >= 13]
    non_kin = [h for h in open_homes if h["kind"] != "kin"]
    assert len(teen_homes) / len(non_kin) < 0.5


def test_icwa_languages_and_needs(county: Folder) -> None:
    """A few ICWA children with a tribe, several languages, needs more common among teens."""
    kids = county["children.csv"]
    icwa = [c for c in kids if c["icwa"] in ("yes", "reason_to_know")]
    assert 0.005 <= len(icwa) / len(kids) <= 0.03
    assert all("aian" in c["race"].split(";") for c in icwa)
    assert all(c["tribe"] for c in icwa if c["icwa"] == "yes")
    primary = Counter(c["languages"].split(";")[0] for c in kids)
    assert primary["en"] > primary["es"] > 0 and len(primary) >= 4
    deaf = [c for c in kids if "ase" in c["languages"].split(";")]
    assert all("Deaf/ASL" in c["cultural_needs"] for c in deaf)

    def behavioral_share(low: int, high: int) -> float:
        group = [c for c in kids if low <= (AS_OF - d(c["birth_date"])).days / 365.25 < high]
        return sum("behavioral" in c["needs"] for c in group) / len(group)

    assert behavioral_share(13, 19) > 2 * behavioral_share(0, 6)


def test_applicants_and_partners(county: Folder) -> None:
    """Applicants at every stage over two years; a few partners in every community."""
    applicants = county["applicants.csv"]
    stages = Counter(a["stage"] for a in applicants)
    assert set(stages) == set(CODES[("applicants.csv", "stage")])
    assert all(AS_OF - timedelta(days=731) <= d(a["stage_on"]) <= AS_OF for a in applicants)
    old = [a for a in applicants if d(a["stage_on"]) < AS_OF - timedelta(days=400)]
    assert old and all(a["stage"] in ("withdrawn", "licensed") for a in old)
    assert 0.07 <= stages["licensed"] / len(applicants) <= 0.16
    partners = county["partners.csv"]
    located = county.communities.locate(
        [float(p["latitude"]) for p in partners], [float(p["longitude"]) for p in partners]
    )
    per_community = Counter(located.tolist())
    assert len(per_community) == 77 and min(per_community.values()) >= 2
    assert all(
        p["contact"].startswith("info@") and p["contact"].endswith(".example.org") for p in partners
    )
    assert len({p["name"] for p in partners}) == len(partners)


def test_checker_catches_violations(county: Folder, tmp_path: Path) -> None:
    """The checker itself finds an over-full home, a stray id and a point in the lake."""
    rows = {name: [dict(r) for r in county[name]] for name in HEADERS}
    placement = next(p for p in rows["placements.csv"] if p["setting"] == "foster_home")
    home = next(h for h in rows["homes.csv"] if h["id"] == placement["home_id"])
    home["capacity"] = "0"
    rows["children.csv"][0]["separate_from"] = "C999999"
    rows["partners.csv"][0]["latitude"] = "41.900000"
    rows["partners.csv"][0]["longitude"] = "-87.500000"  # Lake Michigan
    broken = Folder(county.path, county.summary, rows, county.communities)
    problems = "\n".join(check_folder(broken))
    assert f"home {home['id']} holds" in problems
    assert "C999999" in problems
    assert "partners.csv: 1 points outside every community" in problems


def test_coordinates_are_spread(county: Folder) -> None:
    """Points are drawn inside communities, not stacked on a few places."""
    homes = county["homes.csv"]
    points = {(h["latitude"], h["longitude"]) for h in homes if h["kind"] != "kin"}
    assert len(points) == sum(h["kind"] != "kin" for h in homes)
    lats = np.array([float(h["latitude"]) for h in homes])
    assert lats.min() > 41.64 and lats.max() < 42.03
