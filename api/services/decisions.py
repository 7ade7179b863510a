"""Recording a team decision: the placements, the bed, the record of who decided and why.

:func:`record_decision` checks the decision against the ranked matches (a reason when the chosen
home is not the top-ranked one; ICWA good cause when the ICWA order is departed from), then
writes in **one transaction**: it locks the chosen homes, counts their open placements, refuses
with ``409`` when a bed is gone, ends each child's current placement, creates the new ones,
stores the decision with its participants, logs ``decision.recorded`` in the change log (which
the changes feed and the webhooks read) and writes the audit entry. The API and the pages both
record decisions here, so both reach the case system the same way. Two decisions racing for the
last bed: one is written, the other gets ``409``.

Locking: on PostgreSQL ``SELECT ... FOR UPDATE`` on the children, then on the homes, each in
id order (one global order: no deadlock between two decisions), then the reads, which under
READ COMMITTED see every decision committed before the locks were granted. On SQLite the
transaction starts with ``BEGIN IMMEDIATE``: one writer at a time, the second waits for the
first to commit.

A child lives in one family home at a time. A decision for a child in a family home moves
them only when it says so (``moves_from``: the home they live in now); otherwise, and when
the child is no longer where ``moves_from`` says, the answer is ``409`` naming where the
child is placed. So of two decisions racing to place one child in two homes, the second
sees the first's placement and is refused; the database's partial unique index (one open
family placement per child) would refuse it even if this check were skipped. A child in a
shelter, group home or institution is stepped down without ``moves_from``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from api.schemas import DecidedPlacement, DecisionIn
from api.services.audit import audit_read, write_audit
from api.services.errors import Conflict, FieldError, Invalid, NotFound
from api.services.keys import Principal
from api.services.matching import ChildNotFound, ChildNotInCare, load_group
from api.services.snapshots import SnapshotCache
from data.capacity import lock_children_and_homes
from data.changes import Change, append_changes
from data.formats import FAMILY_SETTINGS
from data.models import Decision, DecisionParticipant, Home, Placement
from data.queries import mentions, open_episodes
from matching import Child, Context, HomeSnapshot, InputError, PlacementRequest, Policy, rank
from matching.rules import IcwaOrder

__all__ = ["decision_json", "list_decisions", "read_decision", "record_decision"]

SETTING_OF_KIND = {"kin": "kin_home", "pre_adoptive": "pre_adoptive"}  # else foster_home


def _field(errors: list[FieldError], loc: list[str | int], message: str) -> None:
    errors.append({"loc": loc, "message": message})


def _raise(errors: list[FieldError]) -> None:
    if errors:
        first = errors[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Invalid(
            f"the decision was not recorded: {where}: {first['message']}"
            + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
            errors=errors,
        )


def _shape_checks(body: DecisionIn, today: date) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for i, p in enumerate(body.placements):
        if p.child_id in seen:
            _field(
                errors,
                ["body", "placements", i, "child_id"],
                f"child {p.child_id} is already in placements[{seen[p.child_id]}]",
            )
        seen.setdefault(p.child_id, i)
    if not any(p.role == "caseworker" for p in body.participants):
        _field(errors, ["body", "participants"], "a team decision needs a caseworker among them")
    shown = set(body.options_shown)
    for i, p in enumerate(body.placements):
        if p.home_id not in shown:
            _field(
                errors,
                ["body", "placements", i, "home_id"],
                f"home {p.home_id} must be among options_shown (the homes the team saw)",
            )
    if body.started_on is not None and body.started_on > today:
        _field(errors, ["body", "started_on"], f"{body.started_on} is in the future")
    moved = [p for p in body.placements if p.moves_from is not None]
    if moved and body.reason is None:
        # leaving a family home is never routine: the team says why, as for a lower rank
        _field(
            errors,
            ["body", "reason"],
            "a reason is required to move a child out of the family home they live in: "
            + ", ".join(f"{p.child_id} (from {p.moves_from})" for p in moved),
        )
    return errors


def _ranking_checks(
    session: Session,
    body: DecisionIn,
    started_on: date,
    snapshots: SnapshotCache,
    policy: Policy,
) -> tuple[list[FieldError], dict[str, int | None], dict[str, str | None]]:
    """Field errors, each child's engine rank of the chosen home, and the top-ranked home."""
    errors: list[FieldError] = []
    engine_children: dict[str, Child] = {}
    for i, p in enumerate(body.placements):
        try:
            engine_children[p.child_id] = load_group(session, p.child_id, as_of=started_on)[0]
        except (ChildNotFound, ChildNotInCare) as exc:
            _field(errors, ["body", "placements", i, "child_id"], str(exc))
        home = session.get(Home, p.home_id)
        if home is None:
            _field(errors, ["body", "placements", i, "home_id"], f"unknown home {p.home_id!r}")
        elif home.status == "closed":
            _field(errors, ["body", "placements", i, "home_id"], f"home {p.home_id} is closed")
    if errors:
        return errors, {}, {}
    inputs = snapshots.get(session, started_on)
    chosen = {p.child_id: p.home_id for p in body.placements}
    groups: dict[str, list[Child]] = defaultdict(list)
    for child in engine_children.values():
        groups[child.sibling_group or f"child:{child.id}"].append(child)
    ranks: dict[str, int | None] = {}
    tops: dict[str, str | None] = {}
    departed: list[str] = []
    icwa_departed: list[str] = []
    for members in groups.values():
        try:
            result = rank(
                members, inputs.snapshot, inputs.communities, policy, limit=len(inputs.snapshot)
            )
        except InputError as exc:
            index = next(i for i, p in enumerate(body.placements) if p.child_id == members[0].id)
            _field(errors, ["body", "placements", index, "child_id"], f"cannot be matched: {exc}")
            continue
        top = result.candidates[0].home_id if result.candidates else None
        for child in members:
            # the child's own best ICWA tier with an eligible home (each child under ICWA
            # has hers, also in a sibling group); with none eligible, the order starts at 1
            best_tier = result.icwa_best.get(child.id, 1)
            home_id = chosen[child.id]
            tops[child.id] = top
            found = next(
                (c for c in result.candidates if c.home_id == home_id and child.id in c.children),
                None,
            )
            ranks[child.id] = found.rank if found else None
            if home_id != top:
                departed.append(child.id)
            tier = _icwa_tier(child, home_id, inputs.snapshot, policy)
            if tier is not None and tier > best_tier:
                icwa_departed.append(child.id)
    if departed and body.reason is None:
        _field(
            errors,
            ["body", "reason"],
            "a reason is required: the chosen home is not the top-ranked one for "
            + ", ".join(f"{c} (top: {tops[c] or 'none eligible'})" for c in departed),
        )
    if icwa_departed and body.icwa_good_cause is None:
        _field(
            errors,
            ["body", "icwa_good_cause"],
            "ICWA good cause is required: the chosen home departs from the ICWA placement "
            "preference order for " + ", ".join(icwa_departed),
        )
    return errors, ranks, tops


def _icwa_tier(child: Child, home_id: str, snapshot: HomeSnapshot, policy: Policy) -> int | None:
    """The ICWA tier (1-4) of a home for a child under ICWA; None for other children."""
    rule = IcwaOrder()
    if not rule.applies(policy) or child.icwa not in ("yes", "reason_to_know"):
        return None
    if home_id not in snapshot.ids:
        return 4  # a home outside the snapshot (closed) is in no preferred tier
    context = Context(PlacementRequest([child]), snapshot, policy)
    positions = np.array([snapshot.position(home_id)], dtype=np.intp)
    return int(rule.tiers(context, positions)[0, 0])


@contextmanager
def _conflict_when_records_changed(session: Session) -> Iterator[None]:
    """A constraint the database enforces (one open family placement per child, the natural
    keys) refused a write made by another request since the reads: 409, nothing written."""
    try:
        yield
    except IntegrityError:
        session.rollback()
        raise Conflict(
            "the records changed while the decision was written; ask for matches again"
        ) from None


def _check_move(chosen: DecidedPlacement, index: int, current: Sequence[Placement]) -> None:
    """Refuse (409) to move a child out of a family home unless the decision says so, from it."""
    home = next((s.home_id for s in current if s.setting in FAMILY_SETTINGS), None)
    if home == chosen.home_id or home == chosen.moves_from:
        return  # already there (a field error), or a deliberate move from where they live
    where = f"placements[{index}].moves_from"
    if home is None:
        raise Conflict(
            f"{where}: {chosen.child_id} does not live in home {chosen.moves_from} (no longer, "
            "or never did): nothing to move them from; ask for matches again",
        )
    since = next(s.started_on for s in current if s.home_id == home)
    raise Conflict(
        f"{chosen.child_id} is placed in home {home} since {since.isoformat()} (recorded after "
        f"the options were shown, or a move not said): to move them, send {where}: {home}",
    )


def record_decision(
    engine: Engine,
    snapshots: SnapshotCache,
    policy: Policy,
    principal: Principal,
    body: DecisionIn,
    before_commit: Callable[[Session, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Check and record a decision; returns its JSON.

    ``before_commit`` is called in the decision's transaction, just before it commits, with
    the JSON about to be returned (an idempotency key's answer is stored there).

    Raises
    ------
    Invalid
        Naming the fields at fault (a missing reason or good cause, an unknown child or
        home, a chosen home not among the options shown).
    Conflict
        When a chosen home has no free bed left or is not active.
    """
    today = date.today()
    _raise(_shape_checks(body, today))
    started_on = body.started_on or today
    with Session(engine) as session:
        errors, ranks, tops = _ranking_checks(session, body, started_on, snapshots, policy)
    _raise(errors)

    with Session(engine) as session, _conflict_when_records_changed(session):
        if session.get_bind().dialect.name == "sqlite":
            # the first statement of the transaction: take the write lock before reading beds
            session.execute(text("BEGIN IMMEDIATE"))
        needed = Counter(p.home_id for p in body.placements)
        homes = lock_children_and_homes(session, [p.child_id for p in body.placements], needed)
        for home_id, count in sorted(needed.items()):
            home = homes[home_id]
            if home.status != "active":
                raise Conflict(f"home {home_id} is {home.status}: it takes no child now")
            occupied = session.execute(
                select(func.count()).where(
                    col(Placement.home_id) == home_id, col(Placement.ended_on).is_(None)
                )
            ).scalar_one()
            free = max(0, home.capacity - int(occupied))
            if free < count:
                raise Conflict(
                    f"home {home_id} has {free} free bed(s) now and this decision needs "
                    f"{count}: the bed was taken since the options were shown; "
                    "ask for matches again",
                )
        created: list[Placement] = []
        ended: list[dict[str, Any]] = []
        left: set[str] = set()  # the homes whose placements ended: a bed there is free again
        errors = []
        for i, p in enumerate(body.placements):
            episode = open_episodes(session, [p.child_id]).get(p.child_id)
            if episode is None:
                _field(errors, ["body", "placements", i, "child_id"], "the child is not in care")
                continue
            if episode.removed_on > started_on:
                _field(
                    errors,
                    ["body", "started_on"],
                    f"{started_on} is before {p.child_id}'s removal on {episode.removed_on}",
                )
                continue
            current = (
                session.execute(
                    select(Placement).where(
                        col(Placement.child_id) == p.child_id, col(Placement.ended_on).is_(None)
                    )
                )
                .scalars()
                .all()
            )
            _check_move(p, i, current)
            for stay in current:
                if stay.home_id == p.home_id:
                    _field(
                        errors,
                        ["body", "placements", i, "home_id"],
                        f"{p.child_id} already lives in home {p.home_id}",
                    )
                elif stay.started_on > started_on:
                    _field(
                        errors,
                        ["body", "started_on"],
                        f"{p.child_id}'s current placement started on {stay.started_on}, "
                        f"after {started_on}",
                    )
                else:
                    stay.ended_on = started_on
                    stay.end_reason = MOVED
                    stay.version += 1
                    ended.append(
                        {
                            "child_id": p.child_id,
                            "setting": stay.setting,
                            "started_on": stay.started_on.isoformat(),
                        }
                    )
                    if stay.home_id is not None:
                        left.add(stay.home_id)
            setting = SETTING_OF_KIND.get(homes[p.home_id].kind, "foster_home")
            placement = Placement(
                child_id=p.child_id, setting=setting, home_id=p.home_id, started_on=started_on
            )
            session.add(placement)
            created.append(placement)
        _raise(errors)
        session.flush()
        decision = Decision(
            created_at=datetime.now(UTC),
            key_id=principal.key_id,
            placements=[
                {
                    "child_id": pl.child_id,
                    "home_id": pl.home_id,
                    "placement_id": pl.id,
                    "setting": pl.setting,
                    "started_on": started_on.isoformat(),
                    "engine_rank": ranks.get(pl.child_id),
                    "top_ranked_home": tops.get(pl.child_id),
                }
                for pl in created
            ],
            options_shown=list(body.options_shown),
            reason=body.reason,
            icwa_good_cause=body.icwa_good_cause,
        )
        session.add(decision)
        session.flush()
        assert decision.id is not None
        for person in body.participants:
            session.add(
                DecisionParticipant(decision_id=decision.id, role=person.role, name=person.name)
            )
        append_changes(session, [_decision_change(decision, ended, left)])
        write_audit(
            session,
            principal,
            "decision",
            "decision",
            [p.child_id for p in body.placements],
            f"decision {decision.id}",
            record_id=str(decision.id),
        )
        participants = [{"role": p.role, "name": p.name} for p in body.participants]
        out = {**decision_json(decision, participants), "ended": ended}
        if before_commit is not None:
            before_commit(session, out)
        session.commit()
        return out


def _decision_change(decision: Decision, ended: list[dict[str, Any]], left: set[str]) -> Change:
    """The change log's entry of a decision: the placements made and ended, by id."""
    made = [
        {"child_id": p["child_id"], "home_id": p["home_id"], "placement_id": p["placement_id"]}
        for p in decision.placements
    ]
    return Change(
        "decision.recorded",
        "decision",
        str(decision.id),
        {
            "decision_id": decision.id,
            "placements": made,
            "ended": ended,
            "children": sorted({p["child_id"] for p in made}),
            "homes": sorted({p["home_id"] for p in made} | left),
        },
    )


MOVED = "moved by a team decision"  # the end reason of a stay a decision ended


def ended_by(session: Session, decision: Decision) -> list[dict[str, Any]]:
    """The stays ``decision`` ended: each child's placement that ended, as moved by a team
    decision, on the day the decision's placement started."""
    ended: list[dict[str, Any]] = []
    for made in decision.placements:
        rows = session.execute(
            select(Placement)
            .where(
                col(Placement.child_id) == made["child_id"],
                col(Placement.ended_on) == date.fromisoformat(made["started_on"]),
                col(Placement.end_reason) == MOVED,
                col(Placement.id) != made["placement_id"],
            )
            .order_by(col(Placement.started_on))
        ).scalars()
        ended += [
            {"child_id": r.child_id, "setting": r.setting, "started_on": r.started_on.isoformat()}
            for r in rows
        ]
    return ended


def decision_json(decision: Decision, participants: list[dict[str, Any]]) -> dict[str, Any]:
    """A decision as the API answers it."""
    created = (
        decision.created_at
        if decision.created_at.tzinfo
        else decision.created_at.replace(tzinfo=UTC)
    )
    return {
        "id": decision.id,
        "created_at": created.isoformat(),
        "placements": list(decision.placements),
        "participants": participants,
        "options_shown": list(decision.options_shown),
        "reason": decision.reason,
        "icwa_good_cause": decision.icwa_good_cause,
    }


def read_decision(engine: Engine, principal: Principal, decision_id: int) -> dict[str, Any]:
    """A recorded decision's JSON; the read is audited (``read_decision``, its children).

    Raises
    ------
    NotFound
        No decision has this id.
    """
    with Session(engine) as session:
        decision = session.get(Decision, decision_id)
        if decision is None:
            raise NotFound(f"no decision {decision_id}")
        people = session.execute(
            select(DecisionParticipant)
            .where(col(DecisionParticipant.decision_id) == decision_id)
            .order_by(col(DecisionParticipant.id))
        ).scalars()
        out = decision_json(decision, [{"role": p.role, "name": p.name} for p in people])
        out["ended"] = ended_by(session, decision)
    audit_read(
        engine,
        principal,
        "read_decision",
        "decision",
        [p["child_id"] for p in out["placements"]],
        f"decision {decision_id}",
    )
    return out


def list_decisions(
    session: Session,
    *,
    child_id: str | None = None,
    home_id: str | None = None,
    after: int | None = None,
    limit: int = 100,
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of decisions, oldest first (those placing ``child_id`` or in ``home_id`` when
    given), and the ``after`` of the next page (None: this was the last)."""
    statement = select(Decision).order_by(col(Decision.id))
    if after is not None:
        statement = statement.where(col(Decision.id) > after)
    for value in (child_id, home_id):
        if value is not None:
            statement = statement.where(mentions(Decision.placements, value))
    found: list[Decision] = []
    rows = session.execute(statement.execution_options(yield_per=500)).scalars()
    for decision in rows:
        placed = decision.placements
        if child_id is not None and all(p["child_id"] != child_id for p in placed):
            continue  # the id was only mentioned (e.g. as a home's id)
        if home_id is not None and all(p["home_id"] != home_id for p in placed):
            continue
        found.append(decision)
        if len(found) > limit:
            break
    rows.close()
    more = len(found) > limit
    found = found[:limit]
    people: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if found:
        ids = [d.id for d in found]
        for person in session.execute(
            select(DecisionParticipant)
            .where(col(DecisionParticipant.decision_id).in_(ids))
            .order_by(col(DecisionParticipant.id))
        ).scalars():
            people[person.decision_id].append({"role": person.role, "name": person.name})
    items = [
        {**decision_json(d, people[d.id or 0]), "ended": ended_by(session, d)} for d in found
    ]  # each as read alone (GET /v1/decisions/{id}), with the stays it ended
    return items, (found[-1].id if more and found else None)
