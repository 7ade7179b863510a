"""The online policies: what each does on a day of the replay, with the engine's own functions.

- ``greedy``: today's practice, the plan's lawful greedy baseline
  (:func:`matching.greedy.lawful_baseline` over :func:`matching.candidates.build_table`) for
  everyone waiting;
- ``rank``: each child, in waiting order, takes the top home :func:`matching.rank` proposes
  (a sibling group as one request; members the top home cannot take ask again);
- ``plan``: :func:`matching.plan` for everyone waiting, each night, with a time limit;
- ``recorded``: what the records say happened (each child's first family placement).

A policy is asked only on a day when something it could act on changed (a child arrived, a
bed was freed, a home opened), and only about the waiting children who have a possible home
with a free bed (:meth:`replay.world.World.candidates`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from matching import Child, HomeSnapshot, plan, rank
from matching.candidates import build_table, waiting_order
from matching.greedy import lawful_baseline
from replay.world import World, table_stays

__all__ = [
    "ONLINE",
    "SMALL_NIGHT",
    "DayPolicy",
    "Nightly",
    "follow_records",
    "greedy_day",
    "rank_day",
]

DayPolicy = Callable[[World, date, bool], None]


def _asked(world: World, day: date, changed: bool) -> tuple[HomeSnapshot, list[Child]] | None:
    """The day's homes and the children a policy is asked about; None when there is nothing
    to ask (nothing changed, or no waiting child has a possible home with a free bed)."""
    if not changed or not world.waiting:
        return None
    snapshot = world.snapshot_on(day)
    children = world.candidates(day, snapshot)
    return (snapshot, children) if children else None


def greedy_day(world: World, day: date, changed: bool) -> None:
    """Today's practice: the lawful greedy baseline for everyone waiting."""
    asked = _asked(world, day, changed)
    if asked is None:
        return
    snapshot, children = asked
    table = build_table(children, snapshot, world.communities, world.policy)
    world.settle(table_stays(table, sorted(lawful_baseline(table).items()), day))


def rank_day(world: World, day: date, changed: bool) -> None:
    """Each waiting child, longest waiting first, takes its top-ranked home."""
    found = _asked(world, day, changed)
    if found is None:
        return
    snapshot, children = found
    asked: set[str] = set()
    for child in waiting_order(children):
        if child.id in asked:
            continue
        sibling_group = child.sibling_group
        group = [
            c.id
            for c in children
            if c.id == child.id or (sibling_group is not None and c.sibling_group == sibling_group)
        ]
        asked.update(group)
        while group:
            request = [world.child_on(world.waiting[c], day) for c in group]
            result = rank(
                [c for c in request if c is not None],
                snapshot,
                world.communities,
                world.policy,
                limit=1,
            )
            top = result.candidates[0] if result.candidates else None
            taken = [c for c in group if top is not None and c in top.children]
            if top is None or not taken:
                break
            world.place([(c, snapshot.position(top.home_id)) for c in taken], day, snapshot)
            group = [c for c in group if c not in taken]
            snapshot = world.snapshot_on(day)


SMALL_NIGHT = 50  # children: a night this small is solved by one CP-SAT worker


@dataclass(frozen=True)
class Nightly:
    """The batch plan each night for everyone waiting (a :data:`DayPolicy`).

    Most nights a handful of children wait: the plan proves its optimum at once, and eight
    workers on two cores spent more time starting than solving (measured: 37 ms a solve
    against a few with one). A larger night uses ``workers`` (the plan's default: 8).
    """

    time_limit_s: float = 1.0
    seed: int = 0
    workers: int | None = None

    def __call__(self, world: World, day: date, changed: bool) -> None:
        asked = _asked(world, day, changed)
        if asked is None:
            return
        snapshot, children = asked
        result = plan(
            children,
            snapshot,
            world.communities,
            world.policy,
            time_limit_s=self.time_limit_s,
            seed=self.seed,
            workers=1 if len(children) < SMALL_NIGHT else self.workers,
        )
        pairs = [(a.child_id, snapshot.position(a.home_id)) for a in result.assignments]
        world.place(pairs, day, snapshot)


def follow_records(placed: Mapping[str, tuple[str, date]]) -> DayPolicy:
    """The recorded history as a policy: each child goes to the family home the records say
    (child id -> (home id, day)) on that day."""

    def recorded_day(world: World, day: date, changed: bool) -> None:
        pairs = [
            (child_id, world.snapshot.position(placed[child_id][0]))
            for child_id in sorted(world.waiting)
            if child_id in placed and placed[child_id][1] == day
        ]
        pairs = [(c, p) for c, p in pairs if world.child_on(world.waiting[c], day) is not None]
        if pairs:
            world.place(pairs, day, world.snapshot_on(day))

    return recorded_day


ONLINE: dict[str, DayPolicy] = {"greedy": greedy_day, "rank": rank_day}
