"""The team decision on the pages: the form's post, its errors beside their fields, and the
recorded decision's own page.

A recorded decision answers ``303`` to ``GET /pages/decisions/{id}`` (post, redirect, get):
reloading that page reads the decision again and records nothing. A refused decision gives
the child's page back with what was entered and, beside each field at fault, a sentence in
the page's language. The service's sentences are English and name the API's fields; the page
says the same in its own words, from the field the service names and from the records as
they are now (a bed taken, a home closed, a child placed meanwhile).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session, col

from api.http.dependencies import EngineDep, PolicyDep, SnapshotsDep
from api.pages.children import child_context
from api.pages.i18n import LANGUAGES, translate
from api.pages.render import gate, gated_form, page_lang, render, router
from api.schemas import DecisionIn
from api.services.decisions import read_decision, record_decision
from api.services.errors import Conflict, NotFound, ServiceError
from api.services.keys import Principal
from data.formats import FAMILY_SETTINGS
from data.models import Child, Home, Placement
from data.queries import free_beds, open_episodes

__all__ = ["FIELDS", "TOGETHER"]

TOGETHER = "together:"  # a decision option keeping the whole group in a good-cause home
# the form's fields in page order: an error goes beside its field, the first one has focus
FIELDS = ("participants", "home", "reason", "icwa_good_cause", "started_on")


@router.post("/children/{child_id}/decision", response_class=HTMLResponse)
async def decide(
    request: Request, engine: EngineDep, snapshots: SnapshotsDep, policy: PolicyDep, child_id: str
) -> Response:
    gated = await gated_form(request, "decisions")
    if isinstance(gated, Response):
        return gated
    who, form = gated
    child_id = child_id[:64]
    # an option is a home, or "together:HOME" for a good-cause alternative that keeps the
    # whole sibling group in a home below an ICWA child's best tier
    option = str(form.get("home") or "")[:80]
    home = option.removeprefix(TOGETHER)
    takes = [c for c in str(form.get(f"children:{option}") or child_id).split(",") if c]
    # the family home the child lives in, as the page showed it: a deliberate move from there
    moves_from = str(form.get("moves_from") or "")[:64] or None
    reason = str(form.get("reason") or "").strip() or None
    good_cause = str(form.get("icwa_good_cause") or "").strip() or None
    started = str(form.get("started_on") or "").strip()[:32]
    shown = [str(h) for h in form.getlist("options_shown")]
    entered = {
        "home": option,
        "participants": [str(p) for p in form.getlist("participant")],
        "reason": reason or "",
        "icwa_good_cause": good_cause or "",
        "started_on": started,
    }
    lang = page_lang(request)
    try:
        started_on = date.fromisoformat(started) if started else None  # none sent: today
    except ValueError:
        problem = translate(
            "decide.started_on.bad", lang, value=started, example=date.today().isoformat()
        )
        return _form_again(request, who, child_id, 422, entered, {"started_on": problem})
    try:
        body = DecisionIn.model_validate(
            {
                "placements": [
                    {"child_id": c, "home_id": home}
                    | ({"moves_from": moves_from} if c == child_id and moves_from else {})
                    for c in takes
                ],
                "participants": [{"role": r} for r in entered["participants"]],
                "options_shown": shown,
                "reason": reason,
                "icwa_good_cause": good_cause,
                "started_on": started_on,
            }
        )
        decided = record_decision(engine, snapshots, policy, who, body)
    except ValidationError as exc:
        fields = [_form_field([str(p) for p in e["loc"]]) for e in exc.errors()]
        errors = {f: translate(f"decide.error.{f}.invalid", lang, home=home) for f in fields}
        return _form_again(request, who, child_id, 422, entered, errors)
    except ServiceError as exc:
        status = 409 if isinstance(exc, Conflict) else 422
        with Session(engine) as session:
            if isinstance(exc, Conflict):
                errors = {"home": _why_conflict(session, lang, takes, home, moves_from)}
            else:
                chosen = _Chosen(child_id, takes, home, shown, moves_from, started_on)
                errors = _why_invalid(session, exc, lang, chosen)
        return _form_again(request, who, child_id, status, entered, errors)
    target = f"/pages/decisions/{decided['id']}"
    if request.query_params.get("lang") in LANGUAGES:
        target += f"?lang={lang}"
    return RedirectResponse(target, status_code=303)


def _form_field(loc: list[str]) -> str:
    """The form's field for a field the API names (``body.placements.0.home_id`` -> home)."""
    names = [part for part in loc if part != "body"]
    first = names[0] if names else ""
    if first in ("participants", "reason", "icwa_good_cause", "started_on"):
        return first
    return "home"  # placements, options_shown: what the chosen option sends


@dataclass(frozen=True, slots=True)
class _Chosen:
    """What the form asked for: the child of the page, the children the option places, the
    home, the homes shown (rank 1 first), the home moved from, the start day."""

    child_id: str
    takes: list[str]
    home: str
    shown: list[str]
    moves_from: str | None
    started_on: date | None


def _why_invalid(session: Session, exc: ServiceError, lang: str, chosen: _Chosen) -> dict[str, str]:
    """A sentence in ``lang`` per form field the service refused."""
    out: dict[str, str] = {}
    for error in exc.errors:
        field = _form_field([str(p) for p in error["loc"]])
        if field in out:
            continue
        if field == "reason" and chosen.moves_from:
            out[field] = translate(
                "decide.error.reason.move", lang, child=chosen.child_id, home=chosen.moves_from
            )
        elif field == "reason":
            top = chosen.shown[0] if chosen.shown else "—"
            out[field] = translate("decide.error.reason.rank", lang, home=chosen.home, top=top)
        elif field == "icwa_good_cause":
            out[field] = translate("decide.icwa.missing", lang)
        elif field == "participants":
            out[field] = translate("decide.error.participants.caseworker", lang)
        elif field == "started_on" and chosen.started_on and chosen.started_on > date.today():
            out[field] = translate("decide.error.started_on.future", lang)
        elif field == "started_on":
            out[field] = translate(
                "decide.error.started_on.early", lang, ids=", ".join(chosen.takes)
            )
        else:
            out[field] = _why_home(session, lang, chosen.takes, chosen.home, chosen.shown)
    return out


def _why_home(session: Session, lang: str, takes: list[str], home: str, shown: list[str]) -> str:
    """Why the chosen home was refused, read from the records now."""
    record = session.get(Home, home)
    if record is None or home not in shown:
        return translate("decide.error.home.unknown", lang, home=home)
    if record.status == "closed":
        return translate("decide.error.home.closed", lang, home=home)
    episodes = open_episodes(session, takes)
    gone = [c for c in takes if c not in episodes]
    if gone:
        return translate("decide.error.home.not_in_care", lang, ids=", ".join(gone))
    there = [c for c, h in _family_homes(session, takes).items() if h == home]
    if there:
        return translate("decide.error.home.same", lang, ids=", ".join(there), home=home)
    return translate("decide.error.home.invalid", lang, home=home)


def _why_conflict(
    session: Session, lang: str, takes: list[str], home: str, moves_from: str | None
) -> str:
    """Why the records refused the decision now: a bed taken, the home not taking children,
    a child placed meanwhile, or another change while it was written."""
    record = session.get(Home, home)
    if record is not None and record.status != "active":
        return translate("decide.error.home.inactive", lang, home=home)
    free = free_beds(session, [home]).get(home, 0)
    if free < len(takes):
        return translate("decide.error.home.taken", lang, home=home, free=free, needed=len(takes))
    for child, lives in _family_homes(session, takes).items():
        if lives != moves_from:
            return translate("decide.error.home.moved", lang, child=child, home=lives)
    if moves_from and moves_from not in _family_homes(session, takes).values():
        return translate("decide.error.home.moved_out", lang, home=moves_from)
    return translate("decide.error.home.changed", lang)


def _family_homes(session: Session, child_ids: list[str]) -> dict[str, str]:
    """The family home each of these children lives in now (children in none left out)."""
    rows = session.execute(
        select(col(Placement.child_id), col(Placement.home_id)).where(
            col(Placement.child_id).in_(child_ids),
            col(Placement.ended_on).is_(None),
            col(Placement.setting).in_(FAMILY_SETTINGS),
        )
    ).all()
    return {c: h for c, h in rows if h is not None}


def _form_again(
    request: Request,
    who: Principal,
    child_id: str,
    status: int,
    entered: dict[str, Any],
    errors: dict[str, str],
) -> Response:
    """The child page again, with what was entered and, beside each field, why nothing was
    recorded."""
    context = child_context(request, who, child_id)
    if context is None:
        return render(request, "notfound.html", who, 404)
    first = next(f for f in FIELDS if f in errors)
    return render(
        request, "child.html", who, status, **context, form=entered, errors=errors, first=first
    )


@router.get("/decisions/{decision_id}", response_class=HTMLResponse)
def decision_page(request: Request, engine: EngineDep, decision_id: str) -> Response:
    """A recorded decision: who goes where from when, the beds left, who of the sibling group
    still waits, who took part and why. Audited like ``GET /v1/decisions/{id}``."""
    who = gate(request, "decisions")
    if isinstance(who, Response):
        return who
    if not (decision_id.isascii() and decision_id.isdigit() and len(decision_id) < 19):
        return render(request, "notfound.html", who, 404)
    try:
        decided = read_decision(engine, who, int(decision_id))
    except NotFound:
        return render(request, "notfound.html", who, 404)
    placed = [p["child_id"] for p in decided["placements"]]
    homes = sorted({p["home_id"] for p in decided["placements"]})
    with Session(engine) as session:
        beds = free_beds(session, homes)
        waiting = _siblings_still_waiting(session, placed)
    return render(request, "decided.html", who, decided=decided, beds=beds, still_waiting=waiting)


def _siblings_still_waiting(session: Session, placed: list[str]) -> list[str]:
    """The brothers and sisters of the placed children who are in care and live in no family
    home now, by id."""
    groups = session.execute(
        select(col(Child.sibling_group_id)).where(
            col(Child.id).in_(placed), col(Child.sibling_group_id).is_not(None)
        )
    ).scalars()
    siblings = session.execute(
        select(col(Child.id))
        .where(col(Child.sibling_group_id).in_(list(groups)), col(Child.id).not_in(placed))
        .order_by(col(Child.id))
    ).scalars()
    ids = list(siblings)
    in_care = open_episodes(session, ids)
    housed = _family_homes(session, ids)
    return [c for c in ids if c in in_care and c not in housed]
