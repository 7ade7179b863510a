"""``fostermatch audit``: query the audit log, verify its chain, export it as JSON lines."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from api.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    disposed_engine,
    emit,
    migrated_engine,
)
from data.db import session_scope


def cmd_audit(args: argparse.Namespace) -> int:
    from api.services.audit import AuditQuery, entry_json, query_audit

    if not 1 <= args.limit <= 100_000:
        print("fostermatch audit: --limit must be 1 to 100000", file=sys.stderr)
        return EXIT_BAD_INPUT
    engine = migrated_engine(args)
    query = AuditQuery(
        child_id=args.child,
        action=args.action,
        key_id=args.key,
        since=args.since,
        until=args.until,
        limit=args.limit,
    )
    with session_scope(engine) as session:
        entries = [entry_json(e) for e in query_audit(session, query)]
    lines = [
        f"{e['at'][:19]}  {e['role']:<12} {e['key_label']:<24} {e['action']:<16} "
        + ",".join(e["child_ids"][:5])
        + (f" (+{len(e['child_ids']) - 5})" if len(e["child_ids"]) > 5 else "")
        for e in entries
    ]
    emit(args, {"entries": entries}, "\n".join(lines) or "no audit entries")
    return EXIT_OK


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from api.services.audit import verify_chain

    with disposed_engine(args) as engine:
        report = verify_chain(engine)
    emit(args, report.to_json(), report.summary())
    return EXIT_OK if report.ok else EXIT_FAILED


def _last_exported_id(path: Path) -> int:
    """The id of the last entry in an export file (0 when it holds none)."""
    if not path.exists():
        return 0
    last = b""
    with path.open("rb") as file:
        for line in file:  # one pass, one line in memory
            if line.strip():
                last = line
    if not last:
        return 0
    try:
        return int(json.loads(last)["id"])
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"{path}: the last line is not an audit entry; export elsewhere") from None


def _write_entries(sink: TextIO, engine: Any, after: int) -> int:
    from api.services.audit import export_entries

    written = 0
    for entry in export_entries(engine, after):
        sink.write(json.dumps(entry, separators=(",", ":")) + "\n")
        written += 1
    return written


def cmd_audit_export(args: argparse.Namespace) -> int:
    with disposed_engine(args) as engine:
        if args.out is None:
            _write_entries(sys.stdout, engine, args.after or 0)
            return EXIT_OK
        args.out.parent.mkdir(parents=True, exist_ok=True)
        after = args.after if args.after is not None else _last_exported_id(args.out)
        with args.out.open("a", encoding="utf-8") as sink:
            written = _write_entries(sink, engine, after)
    print(f"{written} audit entries appended to {args.out}", file=sys.stderr)
    return EXIT_OK
