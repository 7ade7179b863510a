"""What the outcome pages read from the database, on SQLite and PostgreSQL: the latest finished
plan, and reports kept only until the records change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from api.pages.outcomes import latest_plan
from api.services.outcomes import OutcomeReportCache
from api.services.plan_jobs import create_job
from data.changes import Change, append_changes
from data.db import session_scope
from data.importing import import_folder
from tests.helpers.records import write_small_folder


def test_the_latest_plan_is_the_last_finished_plan_not_its_baseline(engine: Engine) -> None:
    """Of five jobs (an older plan, the newest plan, its later greedy baseline, a done job
    without a finishing time, a running one), the newest plan is the latest: a baseline is
    not a plan, and a job never stamped finished comes last on both databases."""
    start = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    jobs: tuple[tuple[str, dict[str, str], str, datetime | None], ...] = (
        ("older", {}, "done", start),
        ("newest", {}, "done", start + timedelta(hours=2)),
        ("baseline", {"baseline": "greedy"}, "done", start + timedelta(hours=3)),
        ("unstamped", {}, "done", None),
        ("running", {}, "running", None),
    )
    ids: dict[str, str] = {}
    with session_scope(engine) as session:
        for name, params, status, finished in jobs:
            job = create_job(session, {"time_limit_s": 1, **params}, None)
            job.status, job.finished_at = status, finished
            job.result = {"method": name, "assignments": [], "unplaced": []}
            ids[name] = job.id
    with Session(engine) as session:
        found = latest_plan(session)
    assert found is not None and found["id"] == ids["newest"]
    assert found["result"]["method"] == "newest"


def test_no_plan_yet(engine: Engine) -> None:
    """Before any finished plan there is none to audit."""
    with Session(engine) as session:
        assert latest_plan(session) is None


def test_a_report_is_kept_until_the_records_change(sqlite_engine: Engine, tmp_path: Path) -> None:
    """The same period twice evaluates once; after a write (the change counter moves) the
    report is evaluated again; another period is its own report."""
    import_folder(sqlite_engine, write_small_folder(tmp_path / "small"))
    reports = OutcomeReportCache(sqlite_engine)
    first = reports.report(None, None)
    assert reports.report(None, None) is first and reports.builds == 1
    with session_scope(sqlite_engine) as session:
        append_changes(session, [Change("home.updated", "home", "H0001")])
    again = reports.report(None, None)
    assert again is not first and reports.builds == 2
    assert again.to_json() == first.to_json()  # nothing changed but the counter
    other = reports.report(first.start - timedelta(days=365), first.start - timedelta(days=1))
    assert other.start != first.start and reports.builds == 3
