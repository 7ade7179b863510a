"""``/v1/webhooks``: register, list, delete and rotate the receivers of the changes (admins).

Deliveries, signatures and retries: :mod:`api.services.webhooks`; how a receiver checks a
delivery: docs/integration.md.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from api.http.auth import WebhookAdmin
from api.http.contract import ContractRoute
from api.http.dependencies import EngineDep, SessionDep
from api.http.problems import problem_responses
from api.http.routers.records import link_next
from api.responses import DeliveryPage, WebhookPage, WebhookWithSecret
from api.schemas import WebhookIn, WebhookRotation
from api.services.webhooks import (
    delete_webhook,
    list_deliveries,
    list_webhooks,
    register_webhook,
    rotate_secret,
)

router = APIRouter(prefix="/v1", tags=["webhooks"], route_class=ContractRoute)

# the example is the first webhook registered (the example of POST /v1/webhooks, in a
# database that has none yet)
WebhookId = Annotated[int, Path(ge=1, le=2**62, examples=[1])]

_WEBHOOK = {
    "id": 3,
    "url": "https://cases.example.org/fostermatch/events",
    "events": ["decision.recorded", "placement.*"],
    "description": "case system, placements desk",
    "created_at": "2026-12-03T18:00:00+00:00",
    "delivered_through": 1042,
    "failures": 0,
    "next_attempt_at": None,
    "previous_secret_valid_until": None,
}


@router.post(
    "/webhooks",
    status_code=201,
    summary="Register a webhook: the changes of the kinds asked for are POSTed to its URL",
    description=(
        "`201` with the webhook and its `secret`, shown this once: keep it to check the "
        "`Fostermatch-Signature` of each delivery. It receives the changes committed from now "
        "on. `events`: change kinds (`decision.recorded`), `ENTITY.*` or `*`; none: all. "
        "`422` for a URL that is not http(s). Audited."
    ),
    response_model=WebhookWithSecret,
    responses={
        201: {"content": {"application/json": {"example": {**_WEBHOOK, "secret": "whsec_..."}}}}
    },
    name="post_webhooks",
)
def post_webhooks(body: WebhookIn, engine: EngineDep, principal: WebhookAdmin) -> dict[str, Any]:
    return register_webhook(engine, principal, body.url, body.events, body.description)


@router.get(
    "/webhooks",
    summary="The webhooks (never their secrets) and how far delivery to each has got",
    response_model=WebhookPage,
    responses={200: {"content": {"application/json": {"example": {"items": [_WEBHOOK]}}}}},
    name="get_webhooks",
)
def get_webhooks(session: SessionDep, principal: WebhookAdmin) -> dict[str, Any]:
    return {"items": list_webhooks(session)}


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=204,
    summary="Delete a webhook and its delivery log: nothing more is sent to it (audited)",
    responses=problem_responses(404),
    name="delete_webhook",
)
def delete_one_webhook(
    webhook_id: WebhookId, engine: EngineDep, principal: WebhookAdmin
) -> Response:
    delete_webhook(engine, principal, webhook_id)
    return Response(status_code=204)


@router.post(
    "/webhooks/{webhook_id}/rotate",
    summary="Give a webhook a new secret; the old one also signs for a grace period",
    description=(
        "`{}` keeps the old secret for 24 hours. The new `secret` is shown this once. Until "
        "`previous_secret_valid_until` each delivery carries two `v1` signatures, one per "
        "secret, so the receiver can switch when it is ready. Audited."
    ),
    response_model=WebhookWithSecret,
    responses={
        200: {"content": {"application/json": {"example": {**_WEBHOOK, "secret": "whsec_..."}}}},
        **problem_responses(404),
    },
    name="post_webhook_rotate",
)
def post_webhook_rotate(
    webhook_id: WebhookId,
    engine: EngineDep,
    principal: WebhookAdmin,
    body: WebhookRotation,
) -> dict[str, Any]:
    grace = timedelta(hours=body.grace_hours)
    return rotate_secret(engine, principal, webhook_id, grace)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    summary="A webhook's delivery attempts, oldest first: status code or error, and when",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "items": [
                            {
                                "id": 88,
                                "event_id": "evt_1042",
                                "seq": 1042,
                                "kind": "decision.recorded",
                                "attempt": 2,
                                "at": "2026-12-03T18:03:11+00:00",
                                "status_code": 200,
                                "error": None,
                                "duration_ms": 41,
                                "delivered": True,
                            }
                        ],
                        "next": None,
                    }
                }
            }
        },
        **problem_responses(404),
    },
    response_model=DeliveryPage,
    name="get_webhook_deliveries",
)
def get_webhook_deliveries(
    webhook_id: WebhookId,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: WebhookAdmin,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="last id seen")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    items, following = list_deliveries(session, webhook_id, after, limit)
    link_next(request, response, following)
    return {"items": items, "next": following}
