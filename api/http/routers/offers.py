"""``/v1/offers``: the calls to families about a child, and how they ended."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session

from api.http.auth import DecisionMaker
from api.http.contract import ContractRoute
from api.http.dependencies import EngineDep, SettingsDep
from api.http.idempotency import IdempotencyKeyHeader, Store, answer_once, json_body_hash
from api.http.problems import problem_responses
from api.responses import Offer, OfferList
from api.schemas import OfferIn
from api.services.idempotency import Answer
from api.services.offers import offers_of_child, offers_of_home, record_offer

router = APIRouter(prefix="/v1", tags=["offers"], route_class=ContractRoute)

# the sample county's records (`fostermatch demo`): a child in care and an active home
_CHILD = "C000066"
_HOME = "H000008"
_EXAMPLE = {
    "id": 12,
    "child_ids": [_CHILD],
    "home_id": _HOME,
    "outcome": "declined",
    "reason": "family_circumstances",
    "note": "a new baby in the family: call again in the spring",
    "at": "2026-11-30T15:20:00+00:00",
    "called_by": "coordinator desk",
    "recorded_at": "2026-11-30T15:21:04+00:00",
}
_LIMIT = Annotated[int, Query(ge=1, le=500, description="the most recent calls, at most")]


@router.post(
    "/offers",
    status_code=201,
    summary="Record a call to a family about a child: offered, accepted, declined, no answer",
    description=(
        "`201` with the offer and its id. A decline needs a reason code (`no_capacity_now`, "
        "`child_needs`, `age_or_sex`, `sibling_group_size`, `family_circumstances`, "
        "`distance`, `other`); a home that declined a child is not proposed to that child "
        "again in this episode, and `no_capacity_now` puts the home on hold for every child "
        "for the policy's days unless a later call confirms it has room. `422` naming the "
        "field for an unknown or closed home, a child unknown or not in care, a decline "
        "without a reason, a moment in the future: nothing is written. Written in one "
        "transaction with its change (`offer.recorded`) and audit entry. With an "
        "`Idempotency-Key`, a retry gets the first answer and no second offer is recorded."
    ),
    response_model=Offer,
    responses={
        201: {
            "content": {"application/json": {"example": _EXAMPLE}},
            "headers": {"Location": {"description": "the home's offers: /v1/homes/{id}/offers"}},
        },
    },
    name="post_offers",
)
def post_offers(
    body: OfferIn,
    request: Request,
    principal: DecisionMaker,
    engine: EngineDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    def answer(out: dict[str, Any]) -> Answer:
        return Answer(201, out, {"Location": f"/v1/homes/{out['home_id']}/offers"})

    def work(store: Store | None) -> Answer:
        def before_commit(session: Session, out: dict[str, Any]) -> None:
            if store is not None:
                store(session, answer(out))

        return answer(record_offer(engine, principal, body, before_commit))

    key_hash = json_body_hash(body)
    return answer_once(request, engine, settings, principal, idempotency_key, key_hash, work)


@router.get(
    "/homes/{home_id}/offers",
    summary="The calls made to a home, the most recent first",
    description="Audit-logged with the children named in them. `404` for an unknown home.",
    response_model=OfferList,
    responses={
        200: {"content": {"application/json": {"example": {"items": [_EXAMPLE]}}}},
        **problem_responses(404),
    },
    name="get_home_offers",
)
def get_home_offers(
    home_id: Annotated[str, Path(min_length=1, max_length=64, examples=[_HOME])],
    engine: EngineDep,
    principal: DecisionMaker,
    limit: _LIMIT = 100,
) -> dict[str, Any]:
    return {"items": offers_of_home(engine, principal, home_id, limit)}


@router.get(
    "/children/{child_id}/offers",
    summary="The calls made about a child (alone or with siblings), the most recent first",
    description="Audit-logged. `404` for an unknown child.",
    response_model=OfferList,
    responses={
        200: {"content": {"application/json": {"example": {"items": [_EXAMPLE]}}}},
        **problem_responses(404),
    },
    name="get_child_offers",
)
def get_child_offers(
    child_id: Annotated[str, Path(min_length=1, max_length=64, examples=[_CHILD])],
    engine: EngineDep,
    principal: DecisionMaker,
    limit: _LIMIT = 100,
) -> dict[str, Any]:
    return {"items": offers_of_child(engine, principal, child_id, limit)}
