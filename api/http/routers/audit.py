"""``GET /v1/audit``: the audit log, for admins (who read or wrote which record, and when).

Entries come oldest first with their chain hashes; a SIEM collects the log by paging with
``after`` (docs/security.md, "Audit log").
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.http.auth import Auditor
from api.http.contract import ContractRoute
from api.http.dependencies import SessionDep
from api.http.routers.records import link_next
from api.responses import AuditPage
from api.schemas import StrictMoment
from api.services.audit import AuditQuery, entry_json, query_audit

router = APIRouter(prefix="/v1", tags=["audit"], route_class=ContractRoute)

_EXAMPLE = {
    "items": [
        {
            "id": 41,
            "at": "2026-11-22T23:01:02+00:00",
            "key_id": 3,
            "key_label": "coordinator night desk",
            "role": "coordinator",
            "action": "match",
            "resource": "child",
            "child_ids": ["C1", "C2"],
            "detail": None,
            "record_id": None,
            "fields": [],
            "prev_hash": "5d41402abc4b2a76b9719d911017c592ae2b9f0c3c7e5f7c5e0b1f6a3d3c2b1a",
            "hash": "9b74c9897bac770ffc029102a200c5de2f7c0e1f1d4e8e5a2c2b3f7e6d5c4b3a",
        }
    ],
    "next": None,
}


@router.get(
    "/audit",
    summary="The audit log: reads of child records and every write, chained (paged; filters)",
    response_model=AuditPage,
    response_model_exclude_unset=True,
    responses={200: {"content": {"application/json": {"example": _EXAMPLE}}}},
)
def get_audit(
    session: SessionDep,
    request: Request,
    response: Response,
    principal: Auditor,
    child_id: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=50)] = None,
    key_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    since: Annotated[
        datetime | None, StrictMoment, Query(description="from this moment (ISO 8601)")
    ] = None,
    until: Annotated[
        datetime | None, StrictMoment, Query(description="before this moment (ISO 8601)")
    ] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="last id seen")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    query = AuditQuery(child_id, action, key_id, since, until, after, limit + 1)
    entries = query_audit(session, query)
    more = len(entries) > limit
    entries = entries[:limit]
    after_id = entries[-1].id if more and entries else None
    link_next(request, response, after_id)
    return {"items": [entry_json(e) for e in entries], "next": after_id}
