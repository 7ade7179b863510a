"""How many plans a caller may have waiting or running, and how long one plan may solve.

A plan uses a worker's cores for up to its time limit, one after another: without limits one
key could queue plans for hours and keep every coordinator waiting. So:

- **per key**: at most :attr:`PlanQuota.per_key` plans queued or running (default 2, set
  with ``FOSTERMATCH_PLAN_JOBS_PER_KEY``); the plan page starts two (the plan and the greedy
  baseline beside it);
- **per role**: at most :attr:`PlanQuota.per_role` plans queued or running for all keys of
  one role together (default 4, ``FOSTERMATCH_PLAN_JOBS_PER_ROLE``);
- **time limit by role** (:data:`TIME_CAP_S`): a coordinator's plan solves for at most 60 s,
  an administrator's or the case system's for at most 600 s (the state-scale plan).

Over a count the answer is ``429 Too Many Requests`` with ``Retry-After`` (when the soonest
of the caller's plans should be done); over the time cap it is ``422`` naming
``time_limit_s`` and the cap. A plan past its deadline (its time limit plus
:data:`api.services.plan_jobs.GRACE_S`: its worker is gone) no longer counts.

Counting and storing the new jobs is one step: on PostgreSQL under a transaction-level
advisory lock (any number of workers), and under a lock of this process as well (SQLite has
one worker).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlmodel import Session, col

from api.services.errors import TooMany, invalid
from api.services.keys import Principal
from api.services.plan_jobs import UNFINISHED, _aware, _deadline
from api.settings import load_settings
from data.models import PlanJob

__all__ = ["PER_KEY_ENV", "PER_ROLE_ENV", "TIME_CAP_S", "PlanQuota", "admitting", "time_cap"]

PER_KEY_ENV = "FOSTERMATCH_PLAN_JOBS_PER_KEY"
PER_ROLE_ENV = "FOSTERMATCH_PLAN_JOBS_PER_ROLE"
DEFAULT_PER_KEY = 2
DEFAULT_PER_ROLE = 4
TIME_CAP_S = {"admin": 600.0, "case_system": 600.0, "coordinator": 60.0}
_ADVISORY_KEY = 0x666D706C  # "fmpl": the plan-job admission lock on PostgreSQL
_IN_PROCESS = threading.Lock()


@dataclass(frozen=True, slots=True)
class PlanQuota:
    """The most plans queued or running at once, per key and per role."""

    per_key: int = DEFAULT_PER_KEY
    per_role: int = DEFAULT_PER_ROLE

    @classmethod
    def from_environment(cls) -> PlanQuota:
        """The limits of ``FOSTERMATCH_PLAN_JOBS_PER_KEY`` and ``..._PER_ROLE`` (or defaults).

        Raises
        ------
        SettingsError
            A variable that is not a whole number of 1 or more, naming it.
        """
        settings = load_settings()
        return cls(settings.plan_jobs_per_key, settings.plan_jobs_per_role)


def time_cap(principal: Principal, time_limit_s: float) -> None:
    """Refuse (422, naming the field and the cap) a time limit over the role's cap."""
    cap = TIME_CAP_S.get(principal.role, min(TIME_CAP_S.values()))
    if time_limit_s > cap:
        raise invalid(
            ["body", "time_limit_s"],
            f"a {principal.role}'s plan may solve for at most {cap:g} s; "
            f"{time_limit_s:g} s was asked",
        )


def _seconds_left(jobs: list[PlanJob], now: datetime) -> int:
    """When the soonest of ``jobs`` should be done, in whole seconds (at least 1)."""
    soonest = math.inf
    for job in jobs:
        started = _aware(job.started_at) or now  # queued: it has its whole limit ahead
        limit = float(job.params.get("time_limit_s", 10.0))
        soonest = min(soonest, (started - now).total_seconds() + limit)
    return max(1, math.ceil(soonest)) if soonest != math.inf else 1


def _same_caller(job: PlanJob, principal: Principal) -> bool:
    """The job was asked for by this caller: the same key, or (a person signed in at the
    identity provider, who has no key) the same label."""
    if principal.key_id is not None:
        return job.key_id == principal.key_id
    return job.key_id is None and job.requested_by == principal.label


@contextmanager
def admitting(
    session: Session, principal: Principal, quota: PlanQuota, jobs: int
) -> Iterator[None]:
    """Admit ``jobs`` new plan jobs of ``principal`` or raise :class:`TooMany`.

    The caller stores the jobs and commits inside the ``with`` block: no other request can
    count in between.
    """
    with _IN_PROCESS:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})
        now = datetime.now(UTC)
        jobs_of_role = session.execute(
            select(PlanJob).where(
                col(PlanJob.status).in_(UNFINISHED), col(PlanJob.role) == principal.role
            )
        ).scalars()
        of_role = [job for job in jobs_of_role if _deadline(job) > now]
        of_key = [job for job in of_role if _same_caller(job, principal)]
        keyed = principal.key_id is not None  # else a person from the identity provider
        for held, limit, holder in (
            (of_key, quota.per_key, "this key has" if keyed else "you have"),
            (
                of_role,
                quota.per_role,
                f"the {principal.role} role (all its keys together) already has",
            ),
        ):
            if len(held) + jobs > limit:
                wait = _seconds_left(held, now)
                raise TooMany(
                    f"{holder} {len(held)} plan(s) queued or running already, and "
                    f"{limit} at once is the most; this needs {jobs} more. Try again when "
                    f"one has finished, in about {wait} s",
                    retry_after_s=wait,
                )
        yield
