"""The change log: one row per committed change, numbered in commit order, never skipped."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from data.changes import Change, append_changes, changes_after, record_change
from data.db import session_scope
from data.formats import HOMES
from data.importing import import_folder, import_record
from data.models import ChangeCounter, ChangeEntry
from tests.helpers.records import SMALL_FILES


def _seqs(engine: Engine, after: int = 0) -> list[int]:
    with Session(engine) as session:
        return [c.seq for c in changes_after(session, after, 10_000)]


def _counter(engine: Engine, name: str) -> int:
    with Session(engine) as session:
        row = session.get(ChangeCounter, name)
        return row.value if row is not None else 0


def test_an_import_logs_one_change_with_its_counts(engine: Engine, small_folder: Path) -> None:
    """An import that writes logs one import.completed; importing it again logs nothing."""
    import_folder(engine, small_folder)
    import_folder(engine, small_folder)
    with Session(engine) as session:
        entries = list(session.execute(select(ChangeEntry)).scalars())
    assert [e.kind for e in entries] == ["import.completed"]
    assert entries[0].payload["files"]["homes.csv"] == {
        "inserted": 3,
        "updated": 0,
        "unchanged": 0,
    }
    assert _counter(engine, "records") == entries[0].seq == _counter(engine, "changes")


def test_a_record_written_logs_what_it_touched(engine: Engine, small_folder: Path) -> None:
    """A home updated by one record logs home.updated with the field names, ids, no values."""
    import_folder(engine, small_folder)
    header, h1 = SMALL_FILES["homes.csv"].splitlines()[:2]
    changed = h1.replace("H1,foster,active,41.92,-87.66,3", "H1,foster,active,41.92,-87.66,4")
    import_record(engine, HOMES, f"{header}\n{changed}\n")
    with Session(engine) as session:
        last = session.execute(
            select(ChangeEntry).order_by(col(ChangeEntry.seq).desc()).limit(1)
        ).scalar_one()
    assert (last.kind, last.entity, last.entity_id) == ("home.updated", "home", "H1")
    assert last.payload["fields"] == ["capacity"]
    assert last.payload["homes"] == ["H1"] and last.payload["communities"]
    assert "4" not in str(last.payload)  # the new capacity is not in the log


def test_a_rolled_back_write_logs_nothing_and_leaves_no_gap(engine: Engine) -> None:
    """A transaction that fails gives its numbers back: the next change follows on."""
    with session_scope(engine) as session:
        first = append_changes(session, [Change("child.created", "child", "C1")])
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        append_changes(session, [Change("child.created", "child", "C2")])
        raise RuntimeError("the write failed after its change was appended")
    with session_scope(engine) as session:
        second = append_changes(session, [Change("child.created", "child", "C3")])
    assert second == [first[0] + 1]
    assert _seqs(engine) == first + second


def test_a_plan_leaves_the_snapshot_version(engine: Engine) -> None:
    """A change that is not of the records moves the cursor but not the records counter."""
    with session_scope(engine) as session:
        (home,) = append_changes(session, [Change("home.updated", "home", "H1")])
        append_changes(session, [Change("plan.done", "plan", "j1", records=False)])
    assert _counter(engine, "records") == home
    assert _counter(engine, "changes") == home + 1


def test_record_change_names_the_child_and_home_of_a_placement() -> None:
    """A placement deleted names its child, home, and the key the API's path uses."""
    change = record_change(
        "placement",
        {"child_id": "C1", "home_id": "H2", "started_on": "2026-01-02", "setting": "kin_home"},
        None,
    )
    assert change.kind == "placement.deleted"
    assert change.entity_id == "C1/2026-01-02/kin_home"
    assert (change.payload["children"], change.payload["homes"]) == (["C1"], ["H2"])


def test_concurrent_writers_and_a_reader_never_skip_or_repeat(engine: Engine) -> None:
    """Writers in parallel threads, a reader paging by cursor meanwhile: the reader sees every
    change once, in increasing order, and ends with all of them."""
    writers, each = 4, 15
    done = threading.Event()
    seen: list[int] = []
    failures: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(each):
                with session_scope(engine) as session:
                    append_changes(session, [Change("home.updated", "home", f"H{worker}-{i}")])
                    time.sleep(0.001)  # hold the counter a moment: readers run meanwhile
        except BaseException as exc:  # reported by the test thread
            failures.append(exc)

    def read() -> None:
        cursor = 0
        while True:
            finished = done.is_set()
            with Session(engine) as session:
                page = changes_after(session, cursor, 7)
            seen.extend(c.seq for c in page)
            if page:
                cursor = page[-1].seq
            elif finished:
                return

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    reader = threading.Thread(target=read)
    reader.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    reader.join()
    assert not failures
    assert seen == sorted(set(seen)), "the reader saw a change twice or out of order"
    assert seen == _seqs(engine) and len(seen) == writers * each


@pytest.mark.postgres
def test_a_later_writer_waits_for_the_earlier_commit(postgres_engine: Engine) -> None:
    """PostgreSQL: while one transaction holds an appended change uncommitted, a second
    writer waits for its commit and a reader sees neither; then the second is numbered next."""
    engine = postgres_engine
    appended = threading.Event()
    release = threading.Event()
    numbers: dict[str, list[int]] = {}

    def first() -> None:
        with session_scope(engine) as session:
            numbers["first"] = append_changes(session, [Change("home.updated", "home", "H1")])
            appended.set()
            release.wait(10)

    def second() -> None:
        appended.wait(10)
        with session_scope(engine) as session:
            numbers["second"] = append_changes(session, [Change("home.updated", "home", "H2")])

    a, b = threading.Thread(target=first), threading.Thread(target=second)
    a.start()
    b.start()
    appended.wait(10)
    time.sleep(0.3)  # the second writer is now waiting on the counter
    assert "second" not in numbers, "the second writer did not wait for the first to commit"
    assert _seqs(engine) == []
    release.set()
    a.join()
    b.join()
    assert numbers["second"] == [numbers["first"][0] + 1]
    assert _seqs(engine) == numbers["first"] + numbers["second"]
