"""The caller of a request: a bearer API key or the identity provider's JWT, and its role.

Each route declares the permission it needs with one of the ``Annotated`` aliases below
(``principal: Matcher``); :mod:`api.http.access` reads them back into the role x route
matrix. The keys themselves, the roles and their permissions are :mod:`api.services.keys`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from api.http.dependencies import get_engine, get_identity_provider
from api.http.problems import Problem
from api.services.keys import (
    KEY_PREFIX,
    PERMISSIONS,
    BearerTokens,
    NoRole,
    Principal,
    ProviderUnavailable,
    TokenRejected,
    lookup,
)

__all__ = [
    "ApplicantReader",
    "Auditor",
    "ChangesReader",
    "ChildReader",
    "DecisionMaker",
    "EquityReader",
    "GapReader",
    "HomeReader",
    "Matcher",
    "Monitor",
    "OutcomeReader",
    "PartnerReader",
    "Planner",
    "RecordsWriter",
    "WebhookAdmin",
    "authenticated",
    "bearer_scheme",
    "require",
]


_bearer = HTTPBearer(
    auto_error=False,
    description=(
        "An API key from `fostermatch keys create --role ROLE --label TEXT`, or a JWT from "
        "the agency's identity provider when one is configured (FOSTERMATCH_OIDC_ISSUER)."
    ),
)

bearer_scheme = _bearer  # the credentials of a request, also read by api.http.auth_first

_UNAUTHENTICATED = {"WWW-Authenticate": "Bearer"}


def authenticated(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from the bearer key or the identity provider's JWT; 401 without either."""
    known = getattr(request.state, "principal", None)
    if isinstance(known, Principal):  # checked before the body was read (api.http.auth_first)
        return known
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Problem(
            401,
            "this endpoint needs an API key: send 'Authorization: Bearer <key>'",
            headers=_UNAUTHENTICATED,
        )
    provider = get_identity_provider(request)
    principal: Principal | None
    if provider is not None and not credentials.credentials.startswith(KEY_PREFIX):
        principal = _token_principal(provider, credentials.credentials)
    else:
        with Session(get_engine(request)) as session:
            principal = lookup(session, credentials.credentials)
    if principal is None:
        raise Problem(401, "the API key is unknown or revoked", headers=_UNAUTHENTICATED)
    request.state.principal = principal
    return principal


def _token_principal(provider: BearerTokens, token: str) -> Principal:
    """The caller presenting the provider's JWT: 401 naming the failed check, 403 without a
    role, 503 when the provider's keys cannot be read."""
    try:
        return provider.principal(token)
    except TokenRejected as exc:
        raise Problem(
            401,
            f"the bearer token was refused: {exc}",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from None
    except NoRole as exc:
        raise Problem(403, f"the bearer token gives no role here: {exc}") from None
    except ProviderUnavailable as exc:
        raise Problem(
            503, f"the bearer token could not be checked: {exc}", headers={"Retry-After": "30"}
        ) from None


def require(permission: str) -> Callable[..., Principal]:
    """A dependency: the caller, who must hold ``permission`` (403 otherwise)."""
    allowed = PERMISSIONS[permission]

    def check(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
        if principal.role not in allowed:
            raise Problem(
                403,
                f"the role {principal.role!r} may not do this ({permission}); "
                f"allowed: {', '.join(sorted(allowed))}",
            )
        return principal

    check.__name__ = f"require_{permission.replace(':', '_')}"
    check.permission = permission  # type: ignore[attr-defined]  # read by api.http.access
    return check


RecordsWriter = Annotated[Principal, Depends(require("records:write"))]
ChildReader = Annotated[Principal, Depends(require("children:read"))]
HomeReader = Annotated[Principal, Depends(require("homes:read"))]
ApplicantReader = Annotated[Principal, Depends(require("applicants:read"))]
PartnerReader = Annotated[Principal, Depends(require("partners:read"))]
Matcher = Annotated[Principal, Depends(require("matches"))]
Planner = Annotated[Principal, Depends(require("plans"))]
EquityReader = Annotated[Principal, Depends(require("equity"))]
DecisionMaker = Annotated[Principal, Depends(require("decisions"))]
GapReader = Annotated[Principal, Depends(require("gaps"))]
OutcomeReader = Annotated[Principal, Depends(require("outcomes"))]
Auditor = Annotated[Principal, Depends(require("audit"))]
Monitor = Annotated[Principal, Depends(require("metrics"))]
ChangesReader = Annotated[Principal, Depends(require("changes"))]
WebhookAdmin = Annotated[Principal, Depends(require("webhooks"))]
