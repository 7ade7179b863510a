"""Beds: the capacity check of written placements, and the locking order of every such write.

A write that adds an open placement locks the children's and the homes' rows first
(:func:`lock_children_and_homes`), then counts the beds (:func:`capacity_checks`): the count
then holds until its transaction ends.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from data.formats import PLACEMENTS
from data.models import Child, Home, Placement
from data.parsing import Row
from data.queries import among
from data.upsert import natural_key, table_of

__all__ = ["OverCapacity", "Overfull", "capacity_checks", "lock_children_and_homes"]


@dataclass(frozen=True, slots=True)
class OverCapacity:
    """A home whose open placements without a capacity waiver would outnumber its beds.

    ``lines`` are the folder's lines of the open placements in this home that carry no waiver
    (the rows that would have to carry one).
    """

    home_id: str
    beds: int
    child_ids: tuple[str, ...]  # every open placement in the home after the write
    waived: int
    lines: tuple[int, ...]

    def __str__(self) -> str:
        shown = ", ".join(self.child_ids[:10]) + (" ..." if len(self.child_ids) > 10 else "")
        waived = f", {self.waived} with a capacity waiver" if self.waived else ""
        return (
            f"home {self.home_id} has {self.beds} bed(s) and would have "
            f"{len(self.child_ids)} open placement(s) ({shown}{waived}): a child placed there "
            "anyway needs a capacity_waiver (the reason) on the placement"
        )


class Overfull(Exception):
    """A placement written alone would overfill its home (``over`` says how); nothing was
    written. A folder import reports the same as a problem on the placement's line."""

    def __init__(self, over: OverCapacity) -> None:
        self.over = over
        super().__init__(str(over))


def lock_children_and_homes(
    session: Session, child_ids: Iterable[str], home_ids: Iterable[str]
) -> dict[str, Home]:
    """Lock the children's and the homes' rows until the transaction ends; the homes by id.

    Every write that adds an open placement locks in this one order (children by id, then
    homes by id), so two such writes never wait on each other in a cycle. On PostgreSQL the
    rows are locked ``FOR UPDATE``: a second decision for the same child waits here and then
    reads the first's placement. On SQLite nothing is locked row by row: the caller's
    transaction must start with ``BEGIN IMMEDIATE`` (one writer at a time).
    """
    locking = session.get_bind().dialect.name != "sqlite"
    wanted_children, wanted_homes = set(child_ids), set(home_ids)
    if locking and wanted_children:
        children = select(col(Child.id)).where(among(col(Child.id), wanted_children))
        session.execute(children.order_by(col(Child.id)).with_for_update()).all()
    homes = select(Home).where(among(col(Home.id), wanted_homes)).order_by(col(Home.id))
    if locking:
        homes = homes.with_for_update()
    return {h.id: h for h in session.execute(homes).scalars() if h.id in wanted_homes}


def capacity_checks(
    session: Session,
    placements: Sequence[Row],
    lines: Sequence[int] = (),
    homes: Sequence[Row] = (),
) -> list[OverCapacity]:
    """Homes the written placements would overfill: open placements without a waiver > beds.

    ``placements`` are the rows about to be written (placements.csv) and ``lines`` their lines
    in the file; ``homes`` the homes.csv rows written with them (their capacity counts over
    the stored one). The homes that get an open placement are locked first (see
    :func:`lock_children_and_homes`), so the count holds until the transaction ends. A
    placement with a ``capacity_waiver`` is the case system recording what really happened:
    it is allowed, and counted as occupying a bed.
    """
    line_of = {natural_key(PLACEMENTS, r): n for r, n in zip(placements, lines, strict=False)}
    touched = {r["home_id"] for r in placements if r["home_id"] and r["ended_on"] is None}
    if not touched:
        return []
    beds = {h.id: h.capacity for h in lock_children_and_homes(session, (), touched).values()}
    beds.update((r["id"], r["capacity"]) for r in homes if r["id"] in touched)
    stored = session.execute(
        select(table_of(Placement)).where(
            among(col(Placement.home_id), touched), col(Placement.ended_on).is_(None)
        )
    ).mappings()
    rows = {natural_key(PLACEMENTS, r): dict(r) for r in stored if r["home_id"] in touched}
    rows.update((natural_key(PLACEMENTS, r), r) for r in placements if r["home_id"] in touched)
    open_in: dict[str, list[tuple[tuple[Any, ...], Row]]] = defaultdict(list)
    for key, r in rows.items():
        if r["ended_on"] is None:
            open_in[r["home_id"]].append((key, r))
    found: list[OverCapacity] = []
    for home_id in sorted(touched & beds.keys()):
        here = open_in[home_id]
        plain = sorted(
            (key for key, r in here if not r["capacity_waiver"]),
            key=lambda k: (rows[k]["started_on"], line_of.get(k, 0)),
        )
        if len(plain) > beds[home_id]:
            # blame the written rows without a waiver that came when the beds were full; else
            # (the home was over-full before, or its beds were lowered) every written row in it
            blamed = [k for k in plain[beds[home_id] :] if k in line_of] or [
                k for k, _ in here if k in line_of
            ]
            found.append(
                OverCapacity(
                    home_id,
                    beds[home_id],
                    tuple(sorted(r["child_id"] for _, r in here)),
                    len(here) - len(plain),
                    tuple(sorted(line_of[k] for k in blamed)),
                )
            )
    return found
