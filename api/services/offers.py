"""Offers: the calls to families about a child, how they ended, and what the engine learns.

A ranking is a call list: the coordinator calls the families in order, and most calls end in
"not now". Each call is an offer (``offers``, with the children in ``offer_children``): the
home, when, who recorded it and the outcome, ``offered`` (waiting for the family's answer),
``accepted``, ``declined`` (with a reason code) or ``no_answer``.

:func:`record_offer` checks an offer and writes it in **one transaction** with its change
(``offer.recorded``, which moves the records counter so the matching snapshots rebuild) and
its audit entry. The readers (:func:`offers_of_child`, :func:`offers_of_home`) audit the
children they show. The matching service reads the offers back through
:func:`declines_in_episode` (rule ``declined``) and :func:`call_histories` (rule ``on_hold``
and factor ``acceptance``): this module is the one place where offers become engine inputs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, Select, select
from sqlmodel import Session, col

from api.schemas import OfferIn
from api.services.audit import Actor, audit_read, write_audit
from api.services.errors import FieldError, Invalid, NotFound
from data.changes import Change, append_changes
from data.db import session_scope, write_lock
from data.models import Child, Episode, Home, Offer, OfferChild
from data.queries import open_episodes
from matching.inputs import ACCEPTANCE_CALLS, Decline

__all__ = [
    "ANSWERED",
    "CallHistory",
    "accepted_offers",
    "call_histories",
    "calls_in_episode",
    "declines_in_episode",
    "offer_json",
    "offers_of_child",
    "offers_of_home",
    "record_offer",
]

ANSWERED = ("accepted", "declined", "no_answer")  # the calls a home's acceptance counts
NO_CAPACITY = "no_capacity_now"
LIMIT = 500  # the most offers one read returns


def _moment(value: datetime) -> datetime:
    """A stored or sent moment as aware UTC (SQLite gives it back without an offset; a moment
    sent without one is UTC, as the API says)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _check(session: Session, body: OfferIn, at: datetime) -> list[FieldError]:
    """Every problem of the offer, each naming its field."""
    errors: list[FieldError] = []
    if at > datetime.now(UTC):
        errors.append({"loc": ["body", "at"], "message": f"{at.isoformat()} is in the future"})
    if body.outcome == "declined" and body.reason is None:
        errors.append(
            {
                "loc": ["body", "reason"],
                "message": "a decline needs a reason code: no_capacity_now, child_needs, "
                "age_or_sex, sibling_group_size, family_circumstances, distance or other",
            }
        )
    if body.outcome != "declined" and body.reason is not None:
        errors.append(
            {
                "loc": ["body", "reason"],
                "message": f"a reason is given with a decline only; this outcome is {body.outcome}",
            }
        )
    home = session.get(Home, body.home_id)
    if home is None:
        errors.append({"loc": ["body", "home_id"], "message": f"unknown home {body.home_id!r}"})
    elif home.status == "closed":
        errors.append({"loc": ["body", "home_id"], "message": f"home {body.home_id} is closed"})
    episodes = open_episodes(session, body.child_ids)
    seen: set[str] = set()
    for i, child_id in enumerate(body.child_ids):
        where = ["body", "child_ids", i]
        if child_id in seen:
            errors.append({"loc": where, "message": f"child {child_id} is named twice"})
        seen.add(child_id)
        episode = episodes.get(child_id)
        if episode is None:
            known = session.get(Child, child_id) is not None
            message = (
                f"child {child_id} is not in care (no open episode)"
                if known
                else f"unknown child {child_id!r}"
            )
            errors.append({"loc": where, "message": message})
        elif at.date() < episode.removed_on:
            errors.append(
                {
                    "loc": ["body", "at"],
                    "message": f"{at.date().isoformat()} is before {child_id}'s removal on "
                    f"{episode.removed_on.isoformat()}",
                }
            )
    return errors


def record_offer(
    engine: Engine,
    principal: Actor,
    body: OfferIn,
    before_commit: Callable[[Session, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Check and record an offer; its JSON.

    ``before_commit`` is called in the offer's transaction, just before it commits, with the
    JSON about to be returned (an idempotency key's answer is stored there).

    Raises
    ------
    Invalid
        Naming every field at fault (an unknown or closed home, a child unknown or not in
        care, a decline without a reason, a reason without a decline, a moment in the future
        or before a child's removal); nothing is written.
    """
    now = datetime.now(UTC)
    at = _moment(body.at) if body.at is not None else now
    with session_scope(engine) as session:
        write_lock(session)
        errors = _check(session, body, at)
        if errors:
            where = ".".join(str(p) for p in errors[0]["loc"])
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise Invalid(
                f"the offer was not recorded: {where}: {errors[0]['message']}{more}",
                errors=errors,
            )
        offer = Offer(
            home_id=body.home_id,
            at=at,
            outcome=body.outcome,
            reason=body.reason,
            note=body.note,
            key_id=principal.key_id,
            called_by=principal.label,
            recorded_at=now,
        )
        session.add(offer)
        session.flush()
        assert offer.id is not None
        for child_id in body.child_ids:
            session.add(OfferChild(offer_id=offer.id, child_id=child_id))
        children = list(body.child_ids)
        append_changes(
            session,
            [
                Change(
                    "offer.recorded",
                    "offer",
                    str(offer.id),
                    {
                        "offer_id": offer.id,
                        "home_id": offer.home_id,
                        "children": sorted(children),
                        "outcome": offer.outcome,
                    },
                )
            ],
        )
        write_audit(
            session,
            principal,
            "offer",
            "offer",
            children,
            f"offer {offer.id}: {offer.outcome}",
            record_id=str(offer.id),
        )
        out = offer_json(offer, children)
        if before_commit is not None:
            before_commit(session, out)
    return out


def offer_json(offer: Offer, child_ids: Iterable[str]) -> dict[str, Any]:
    """An offer as the API answers it."""
    return {
        "id": offer.id,
        "child_ids": list(child_ids),
        "home_id": offer.home_id,
        "outcome": offer.outcome,
        "reason": offer.reason,
        "note": offer.note,
        "at": _moment(offer.at).isoformat(),
        "called_by": offer.called_by,
        "recorded_at": _moment(offer.recorded_at).isoformat(),
    }


def _offers(session: Session, offer_ids: list[int]) -> list[dict[str, Any]]:
    """The offers with these ids, the most recent call first, with their children."""
    if not offer_ids:
        return []
    children: dict[int, list[str]] = defaultdict(list)
    for offer_id, child_id in session.execute(
        select(col(OfferChild.offer_id), col(OfferChild.child_id))
        .where(col(OfferChild.offer_id).in_(offer_ids))
        .order_by(col(OfferChild.id))
    ).all():
        children[offer_id].append(child_id)
    rows = session.execute(
        select(Offer)
        .where(col(Offer.id).in_(offer_ids))
        .order_by(col(Offer.at).desc(), col(Offer.id).desc())
    ).scalars()
    return [offer_json(o, children[o.id or 0]) for o in rows]


def _listed(
    engine: Engine,
    principal: Actor,
    record: type[Child] | type[Home],
    record_id: str,
    ids: Select[Any],
) -> list[dict[str, Any]]:
    """The offers ``ids`` selects (the most recent first) after checking that the child or
    home exists; the read is audited (``list_offers``) with every child named in them."""
    kind = "child" if record is Child else "home"
    with Session(engine) as session:
        if session.get(record, record_id) is None:
            raise NotFound(f"no {kind} {record_id!r}")
        found = session.execute(ids.order_by(col(Offer.at).desc(), col(Offer.id).desc()))
        items = _offers(session, [i for i in found.scalars() if i is not None])
    children = sorted({c for item in items for c in item["child_ids"]})
    audit_read(engine, principal, "list_offers", "offer", children, f"{kind} {record_id}")
    return items


def offers_of_child(
    engine: Engine, principal: Actor, child_id: str, limit: int = 100
) -> list[dict[str, Any]]:
    """The offers about a child (alone or with siblings), the most recent call first; the
    read is audited (``list_offers``, the children named).

    Raises
    ------
    NotFound
        No child has this id.
    """
    about = (
        select(col(OfferChild.offer_id))
        .join(Offer, col(Offer.id) == col(OfferChild.offer_id))
        .where(col(OfferChild.child_id) == child_id)
        .limit(min(limit, LIMIT))
    )
    return _listed(engine, principal, Child, child_id, about)


def offers_of_home(
    engine: Engine, principal: Actor, home_id: str, limit: int = 100
) -> list[dict[str, Any]]:
    """The offers made to a home, the most recent call first; the read is audited
    (``list_offers``, every child named in them).

    Raises
    ------
    NotFound
        No home has this id.
    """
    made = select(col(Offer.id)).where(col(Offer.home_id) == home_id).limit(min(limit, LIMIT))
    return _listed(engine, principal, Home, home_id, made)


# -- what the engine learns ------------------------------------------------------------------


def _end_of(day: date) -> datetime:
    """The first moment after ``day`` (UTC): calls before it happened on or before ``day``."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def declines_in_episode(
    session: Session, episodes: Mapping[str, Episode], as_of: date
) -> dict[str, frozenset[Decline]]:
    """Per child: the homes that declined the child in the episode given (calls made from
    its removal to ``as_of``). One query for all the children."""
    if not episodes:
        return {}
    rows = session.execute(
        select(col(OfferChild.child_id), Offer)
        .join(Offer, col(Offer.id) == col(OfferChild.offer_id))
        .where(
            col(OfferChild.child_id).in_(sorted(episodes)),
            col(Offer.outcome) == "declined",
            col(Offer.at) < _end_of(as_of),
        )
    ).all()
    found: dict[str, set[Decline]] = defaultdict(set)
    for child_id, offer in rows:
        on = _moment(offer.at).date()
        if on >= episodes[child_id].removed_on:
            found[child_id].add(Decline(offer.home_id, on, offer.reason or "other"))
    return {child_id: frozenset(declines) for child_id, declines in found.items()}


@dataclass(frozen=True, slots=True)
class CallHistory:
    """A home's answers to its calls up to a day: what the engine's ``Home`` is given.

    Attributes
    ----------
    calls, accepted
        Its last answered calls (up to ``ACCEPTANCE_CALLS``) and how many it accepted.
    no_capacity_on
        The day of its last "no capacity now", when no call since confirmed that it has
        room (accepted, or declined for another reason); None otherwise.
    """

    calls: int = 0
    accepted: int = 0
    no_capacity_on: date | None = None


def call_histories(session: Session, as_of: date) -> dict[str, CallHistory]:
    """Every called home's :class:`CallHistory` from the calls made up to ``as_of``."""
    rows = session.execute(
        select(col(Offer.home_id), col(Offer.at), col(Offer.outcome), col(Offer.reason))
        .where(col(Offer.outcome).in_(ANSWERED), col(Offer.at) < _end_of(as_of))
        .order_by(col(Offer.home_id), col(Offer.at).desc(), col(Offer.id).desc())
    ).all()
    by_home: dict[str, list[tuple[datetime, str, str | None]]] = defaultdict(list)
    for home_id, at, outcome, reason in rows:
        by_home[home_id].append((at, outcome, reason))
    out: dict[str, CallHistory] = {}
    for home_id, calls in by_home.items():
        last = calls[:ACCEPTANCE_CALLS]  # the most recent first
        accepted = sum(outcome == "accepted" for _, outcome, _ in last)
        no_capacity_on = None
        for at, outcome, reason in calls:
            if outcome == "declined" and reason == NO_CAPACITY:
                no_capacity_on = _moment(at).date()
                break
            if outcome == "accepted" or outcome == "declined":
                break  # it had room when it answered this (later) call
        out[home_id] = CallHistory(len(last), accepted, no_capacity_on)
    return out


def calls_in_episode(
    session: Session, child_ids: Iterable[str], since: date
) -> dict[str, dict[str, Any]]:
    """Per home: the latest call about any of these children since ``since`` (the removal),
    as ``{"outcome", "reason", "at"}``: the call list shows who has been called."""
    ids = sorted(set(child_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Offer)
        .join(OfferChild, col(OfferChild.offer_id) == col(Offer.id))
        .where(
            col(OfferChild.child_id).in_(ids),
            col(Offer.at) >= datetime.combine(since, time(), tzinfo=UTC),
        )
        .order_by(col(Offer.at), col(Offer.id))
    ).scalars()
    out: dict[str, dict[str, Any]] = {}
    for offer in rows:  # oldest first: the latest call of each home stays
        out[offer.home_id] = {
            "outcome": offer.outcome,
            "reason": offer.reason,
            "at": _moment(offer.at),
        }
    return out


def accepted_offers(session: Session, as_of: date) -> dict[str, date]:
    """Per home: the day of its last accepted offer up to ``as_of``."""
    rows = session.execute(
        select(col(Offer.home_id), col(Offer.at)).where(
            col(Offer.outcome) == "accepted", col(Offer.at) < _end_of(as_of)
        )
    ).all()
    out: dict[str, date] = {}
    for home_id, at in rows:
        day = _moment(at).date()
        out[home_id] = max(day, out.get(home_id, day))
    return out
