"""Hand-built plans and records for the equity audit, with figures known by hand."""

from __future__ import annotations

from typing import Any

import pandas as pd

from api.services.equity import EquityRecords

THRESHOLD = 10


def _child(race: str, sex: str, age: str, group: str | None = None) -> dict[str, Any]:
    return {
        "race": race,
        "sex": sex,
        "age": age,
        "sibling_group_id": group,
        "removal_community_id": "A",
    }


def twelve_and_twelve_records() -> EquityRecords:
    """12 Black and 12 White children, 5 Asian and 3 of unknown race; two sibling pairs each."""
    rows: dict[str, dict[str, Any]] = {}
    for race, prefix in (("black", "B"), ("white", "W")):
        for i in range(1, 13):
            group = f"{prefix}G{(i + 1) // 2}" if i <= 4 else None
            sex = "female" if i % 2 else "male"
            rows[f"{prefix}{i:02d}"] = _child(race, sex, "6-12" if i <= 8 else "13-17", group)
    for i in range(1, 6):
        rows[f"A{i}"] = _child("asian", "female" if i <= 3 else "male", "1-5")
    for i in range(1, 4):
        rows[f"U{i}"] = _child("unknown", "male", "1-5")
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "child_id"
    return EquityRecords(children=frame, home_communities={"HA": "A", "HB": "B"})


def assignment(
    child_id: str, home: str, km: float, *, own: bool | None, kin: bool = False
) -> dict[str, Any]:
    """An assignment row of a stored plan; ``own=None`` leaves out the own-community key."""
    row: dict[str, Any] = {"child_id": child_id, "home_id": home, "distance_km": km, "kin": kin}
    if own is not None:
        row["own_community"] = own
    return row


def twelve_and_twelve_plan(*, with_keys: bool = True) -> dict[str, Any]:
    """The plan places 9 of 12 Black children (6 own community, 1 kin, 2.0 km on average) and
    6 of 12 White children (3 own, 2 kin, 5.0 km); pair BG1 whole, BG2 split, WG1 half placed.
    The baseline places 6 Black children (2.0 km) and 9 White children (3.0 km)."""
    own = (lambda v: v) if with_keys else (lambda v: None)
    black_km = [1, 3, 1, 3, 1, 3, 1, 3, 2]
    assignments = [
        assignment(
            f"B{i:02d}",
            "H1" if i <= 2 else f"H{i}",
            black_km[i - 1],
            own=own(i <= 6),
            kin=i == 1,
        )
        for i in range(1, 10)
    ]
    white_km = [4, 6, 4, 6, 4, 6]
    assignments += [
        assignment(f"W{i:02d}", f"HW{i}", white_km[i - 1], own=own(i <= 3), kin=i in (1, 3))
        for i in range(1, 7)
    ]
    assignments += [assignment(f"A{i}", f"HA{i}", 1.0, own=own(True)) for i in range(1, 6)]
    placed = {a["child_id"] for a in assignments}
    every = [*(f"B{i:02d}" for i in range(1, 13)), *(f"W{i:02d}" for i in range(1, 13))]
    every += [*(f"A{i}" for i in range(1, 6)), *(f"U{i}" for i in range(1, 4))]
    plan: dict[str, Any] = {
        "method": "cp-sat",
        "assignments": assignments,
        "unplaced": [{"child_id": c, "reasons": []} for c in every if c not in placed],
        "summary": {},
    }
    if with_keys:
        plan["baseline_assignments"] = [
            assignment(f"B{i:02d}", f"HB{i}", 2.0 if i % 2 else 2.5, own=i <= 3)
            for i in range(1, 7)
        ] + [assignment(f"W{i:02d}", f"HW{i}", 3.0, own=i <= 6) for i in range(1, 10)]
    return plan
