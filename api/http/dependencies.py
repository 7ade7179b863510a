"""What a route may ask for by type: ``session: SessionDep``, ``policy: PolicyDep``, ...

The application builds each once per worker (:func:`api.http.app.create_app`) and keeps it on
``app.state``; these ``Annotated`` aliases are the one place that reads it, so a handler names
what it needs in its signature and a test can replace it with ``dependency_overrides``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session

from api.services.gaps import GapCache
from api.services.oidc import Provider
from api.services.plan_jobs import PlanRunner
from api.services.plan_quota import PlanQuota
from api.services.snapshots import SnapshotCache
from api.settings import Settings
from matching import Policy

__all__ = [
    "EngineDep",
    "GapsDep",
    "IdentityProviderDep",
    "PlanQuotaDep",
    "PlanRunnerDep",
    "PolicyDep",
    "SessionDep",
    "SettingsDep",
    "SnapshotsDep",
    "get_session",
]


def get_engine(request: Request) -> Engine:
    """The application's database engine (for services that open their own transactions)."""
    engine: Engine = request.app.state.engine
    return engine


def get_session(request: Request) -> Iterator[Session]:
    """A database session for one request, on the application's engine."""
    with Session(request.app.state.engine) as session:
        yield session


def get_policy(request: Request) -> Policy:
    """The matching policy this worker loaded at start-up."""
    policy: Policy = request.app.state.policy
    return policy


def get_snapshots(request: Request) -> SnapshotCache:
    """The matching snapshots, refreshed when the records change."""
    snapshots: SnapshotCache = request.app.state.snapshots
    return snapshots


def get_gaps(request: Request) -> GapCache:
    """The capacity gaps, kept until the records change."""
    gaps: GapCache = request.app.state.gaps
    return gaps


def get_plan_runner(request: Request) -> PlanRunner:
    """This worker's runner of plan jobs."""
    runner: PlanRunner = request.app.state.plan_runner
    return runner


def get_plan_quota(request: Request) -> PlanQuota:
    """The limits on plans queued or running at once."""
    quota: PlanQuota = request.app.state.plan_quota
    return quota


def get_identity_provider(request: Request) -> Provider | None:
    """The agency's identity provider, or None when sign-in by API key is the only way."""
    provider: Provider | None = getattr(request.app.state, "oidc", None)
    return provider


def get_settings(request: Request) -> Settings:
    """The deployment's settings, read when the application was built."""
    settings: Settings = request.app.state.settings
    return settings


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
PolicyDep = Annotated[Policy, Depends(get_policy)]
SnapshotsDep = Annotated[SnapshotCache, Depends(get_snapshots)]
GapsDep = Annotated[GapCache, Depends(get_gaps)]
PlanRunnerDep = Annotated[PlanRunner, Depends(get_plan_runner)]
PlanQuotaDep = Annotated[PlanQuota, Depends(get_plan_quota)]
IdentityProviderDep = Annotated[Provider | None, Depends(get_identity_provider)]
