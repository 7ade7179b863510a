"""``fostermatch keys``: create, list and revoke API keys, the demo keys, the role x route
matrix."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from api.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    emit,
    migrated_engine,
)
from data.db import session_scope


def _audit_key(session: Any, action: str, key_id: int | None) -> None:
    from api.services.audit import Operator, write_audit

    write_audit(session, Operator.current(), action, "api_key", record_id=str(key_id))


def cmd_keys_create(args: argparse.Namespace) -> int:
    from api.services.keys import create_key

    engine = migrated_engine(args)
    try:
        with session_scope(engine) as session:
            row, key = create_key(session, args.role, args.label)
            key_id = row.id
            _audit_key(session, "key_create", key_id)
    except ValueError as exc:
        print(f"fostermatch keys create: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    emit(
        args,
        {"id": key_id, "role": args.role, "label": args.label, "key": key},
        f"{key}\nkey {key_id} for {args.role} ({args.label}): shown once, store it now",
    )
    return EXIT_OK


def cmd_keys_list(args: argparse.Namespace) -> int:
    from api.services.keys import list_keys

    engine = migrated_engine(args)
    with session_scope(engine) as session:
        rows = [
            {
                "id": k.id,
                "prefix": k.prefix,
                "role": k.role,
                "label": k.label,
                "created_at": k.created_at.isoformat(),
                "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
            }
            for k in list_keys(session)
        ]
    lines = [
        f"{r['id']:>4}  fm_{r['prefix']}_...  {r['role']:<12} {r['label']}"
        + ("  (revoked)" if r["revoked_at"] else "")
        for r in rows
    ]
    emit(args, {"keys": rows}, "\n".join(lines) or "no API keys")
    return EXIT_OK


def cmd_keys_roles(args: argparse.Namespace) -> int:
    from sqlalchemy import create_engine

    from api.http.access import matrix_markdown, route_access
    from api.http.app import create_app
    from api.services.keys import ROLES

    # the routes do not depend on the records: an empty database in memory will do
    rows = route_access(create_app(create_engine("sqlite://"), run_plan_jobs=False))
    payload = {
        "routes": [
            {"method": r.method, "path": r.path, "permission": r.permission}
            | {role: r.allows(role) for role in ROLES}
            for r in rows
        ]
    }
    emit(args, payload, matrix_markdown(rows).rstrip("\n"))
    return EXIT_OK


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    from api.services.keys import revoke_key

    engine = migrated_engine(args)
    try:
        with session_scope(engine) as session:
            row = revoke_key(session, args.key_id)
            label = row.label
            _audit_key(session, "key_revoke", row.id)
    except LookupError as exc:
        print(f"fostermatch keys revoke: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    emit(args, {"id": args.key_id, "revoked": True}, f"key {args.key_id} ({label}) revoked")
    return EXIT_OK


def _active_demo_keys(session: Any) -> list[int]:
    from api.services.keys import DEMO_LABEL, list_keys

    return [
        k.id
        for k in list_keys(session)
        if k.label.startswith(f"{DEMO_LABEL} ") and k.revoked_at is None and k.id is not None
    ]


def cmd_keys_demo(args: argparse.Namespace) -> int:
    from api.services.keys import demo_keys

    engine = migrated_engine(args)
    with session_scope(engine) as session:
        revoked = _active_demo_keys(session)
        keys = demo_keys(session)
        for key_id in revoked:
            _audit_key(session, "key_revoke", key_id)
        for key_id in _active_demo_keys(session):
            _audit_key(session, "key_create", key_id)
    text = "demo API keys (the previous demo keys are revoked):\n" + "\n".join(
        f"  {role:<12} {key}" for role, key in keys.items()
    )
    emit(args, {"keys": keys}, text)
    return EXIT_OK
