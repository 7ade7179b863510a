"""``POST /v1/matches``: ranked, explained homes for a child and their waiting siblings."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from sqlmodel import Session

from api.http.auth import Matcher
from api.http.contract import ContractRoute
from api.http.dependencies import EngineDep, PolicyDep, SnapshotsDep
from api.responses import MatchResult
from api.schemas import MatchRequest
from api.services.audit import audit_read
from api.services.errors import invalid
from api.services.matching import ChildNotFound, ChildNotInCare, load_group
from matching import InputError, rank

router = APIRouter(prefix="/v1", tags=["matching"], route_class=ContractRoute)

_EXAMPLE = {
    "children": ["C123", "C124"],
    "eligible_homes": 41,
    "excluded": {"no_free_bed": 512, "age_range": 201},
    "near_misses": [
        {
            "home_id": "H4",
            "rule": "no_free_bed",
            "detail": "grandmother; no free bed; the group needs 2",
            "kin": True,
            "detail_i18n": {
                "key": "near_miss.kin",
                "args": {
                    "relationship": "grandmother",
                    "detail": {
                        "key": "free_beds.group",
                        "args": {"beds": {"key": "beds.none", "args": {}}, "size": 2},
                    },
                },
            },
        },
        {
            "home_id": "H9",
            "rule": "radius",
            "detail": "27.3 km; the radius is 25 km",
            "kin": False,
            "detail_i18n": {"key": "radius.detail", "args": {"km": 27.31, "radius": 25.0}},
        },
    ],
    "candidates": [
        {
            "rank": 1,
            "home_id": "H17",
            "score": 0.83,
            "takes_all_siblings": True,
            "distance_km": 2.1,
            "community": "Lower West Side",
            "kin": False,
            "icwa_tier": None,
            "factors": [
                {
                    "name": "same_community",
                    "value": 1.0,
                    "weight": 3.0,
                    "contribution": 3.0,
                    "reason": "2.1 km from the removal address, same community: Lower West Side",
                    "reason_i18n": {
                        "key": "community.same",
                        "args": {
                            "distance": {"key": "distance.removal", "args": {"km": 2.1}},
                            "name": "Lower West Side",
                        },
                    },
                }
            ],
            "for": ["2.1 km from the removal address, same community: Lower West Side"],
            "against": ["does not speak Spanish, the child's first language"],
            "for_i18n": [
                {
                    "key": "community.same",
                    "args": {
                        "distance": {"key": "distance.removal", "args": {"km": 2.1}},
                        "name": "Lower West Side",
                    },
                }
            ],
            "against_i18n": [
                {
                    "key": "language.not_first",
                    "args": {
                        "first": {"key": "language.es", "args": {}},
                        "whose": {"key": "whose.children", "args": {}},
                    },
                }
            ],
        }
    ],
    "waiting": [
        {
            "child_id": "C123",
            "waited_days": 412,
            "turns_18_on": None,
            "icwa": False,
            "best_icwa_tier": None,
            "best_icwa_home": None,
        },
        {
            "child_id": "C124",
            "waited_days": 412,
            "turns_18_on": "2026-06-09",
            "icwa": False,
            "best_icwa_tier": None,
            "best_icwa_home": None,
        },
    ],
}


@router.post(
    "/matches",
    summary="Rank the homes for a child (with their waiting siblings), explained",
    description="The same JSON as `fostermatch match CHILD_ID --json`: each candidate's reasons "
    "for and against it, near misses with kin homes first, and a `waiting` row per child (days "
    "waited, an 18th birthday within 180 days, the best ICWA tier on offer).",
    response_model=MatchResult,
    response_model_exclude_unset=True,
    responses={200: {"content": {"application/json": {"example": _EXAMPLE}}}},
    name="post_matches",
)
def post_matches(
    body: MatchRequest,
    principal: Matcher,
    engine: EngineDep,
    snapshots: SnapshotsDep,
    policy: PolicyDep,
) -> dict[str, Any]:
    as_of = body.as_of or date.today()
    with Session(engine) as session:
        inputs = snapshots.get(session, as_of)
        try:
            children = load_group(session, body.child_id, as_of=as_of)
        except (ChildNotFound, ChildNotInCare) as exc:
            raise invalid(["body", "child_id"], str(exc)) from None
    try:
        result = rank(
            children,
            inputs.snapshot,
            inputs.communities,
            policy,
            limit=body.limit,
        )
    except InputError as exc:
        raise invalid(["body", "child_id"], f"this child cannot be matched: {exc}") from None
    audit_read(engine, principal, "match", "child", [c.id for c in children])
    return result.to_json()
