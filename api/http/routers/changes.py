"""``GET /v1/changes``: every committed change, in commit order, paged by a cursor."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.http.auth import ChangesReader
from api.http.contract import ContractRoute
from api.http.dependencies import EngineDep, SessionDep
from api.responses import ChangesPage
from api.services.audit import audit_read
from api.services.changes import read_changes

router = APIRouter(prefix="/v1", tags=["changes"], route_class=ContractRoute)

_EXAMPLE = {
    "items": [
        {
            "id": "evt_1042",
            "seq": 1042,
            "kind": "decision.recorded",
            "at": "2026-12-03T18:02:11+00:00",
            "entity": "decision",
            "entity_id": "7",
            "payload": {
                "decision_id": 7,
                "placements": [{"child_id": "C1", "home_id": "H3", "placement_id": 18002}],
                "ended": [{"child_id": "C1", "setting": "shelter", "started_on": "2026-11-20"}],
                "children": ["C1"],
                "homes": ["H3"],
            },
        }
    ],
    "next": 1042,
    "has_more": False,
}


@router.get(
    "/changes",
    summary="The changes feed: every committed change after a cursor, in commit order",
    description=(
        "Each change (a record written or deleted, an import, a decision, a plan finished) "
        "with its sequence number `seq`. Ask with `after` = the `next` of the previous page "
        "(0 the first time): no change is skipped or repeated, and a change appears only once "
        "committed. `next` is the cursor to ask with next time, also when the page is empty; "
        'the `Link: <...>; rel="next"` header is that request. Payloads hold ids and field '
        "names, never a record's values. Reads naming children are audit-logged."
    ),
    response_model=ChangesPage,
    responses={200: {"content": {"application/json": {"example": _EXAMPLE}}}},
    name="get_changes",
)
def get_changes(
    request: Request,
    response: Response,
    session: SessionDep,
    engine: EngineDep,
    principal: ChangesReader,
    after: Annotated[int, Query(ge=0, le=2**62, description="the last `seq` seen")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    page = read_changes(session, after, limit)
    children = page.children()
    if children:
        audit_read(engine, principal, "read_changes", "change", children, f"changes after {after}")
    following = request.url.include_query_params(after=page.next, limit=limit)
    response.headers["Link"] = f'<{following}>; rel="next"'
    return {"items": page.items, "next": page.next, "has_more": page.has_more}
