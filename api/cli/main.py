"""The ``fostermatch`` command line.

Every command that reports has ``--json``. Long work reports progress on stderr when stderr is
a terminal. Exit status: 0 done, 1 failed, 2 bad input (usage, or a folder that did not import).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from api.cli.audit import cmd_audit, cmd_audit_export, cmd_audit_verify
from api.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    emit,
    migrated_engine,
    progress_printer,
)
from api.cli.keys import (
    cmd_keys_create,
    cmd_keys_demo,
    cmd_keys_list,
    cmd_keys_revoke,
    cmd_keys_roles,
)
from api.responses import MatchResult, PlanResult, wire
from data.db import database_url, describe_url, make_engine, session_scope, upgrade
from data.exporting import export_folder
from data.importing import import_folder, import_zip
from data.problems import ImportFailed
from data.queries import agency_summary

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_OK", "build_parser", "main"]

SAMPLE_SEED = 1
SAMPLE_DIR = Path("var") / "sample-county"
# where a reader of the help or of an error learns more (the docs/ folder of the source tree)
DOCS_INDEX = "docs/README.md"
FORMAT_DOC = "docs/data-format.md"
OPERATING_DOC = "docs/operating.md"


# -- commands -----------------------------------------------------------------------------


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    url = database_url(args.database_url)
    upgrade(make_engine(url))
    print(f"database {describe_url(url)} is at the latest schema")
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    from data.generate import generate

    start = time.perf_counter()
    result = generate(
        args.out,
        seed=args.seed,
        scale=args.scale,
        census_day=args.census_day,
        progress=progress_printer(True),
    )
    elapsed = time.perf_counter() - start
    payload = {"out": str(args.out), "runtime_s": round(elapsed, 2), **_jsonable(result)}
    emit(args, payload, f"{result.summary()}\nwritten to {args.out} in {elapsed:.1f} s")
    return EXIT_OK


def _jsonable(value: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return {
        k: (str(v) if not isinstance(v, int | float | str) else v) for k, v in asdict(value).items()
    }


def _print_problems(args: argparse.Namespace, folder: Path, failed: ImportFailed) -> int:
    for problem in failed.problems:
        print(problem, file=sys.stderr)
    if failed.more:
        print(f"... and {failed.more:,} more problem(s)", file=sys.stderr)
    print(f"{failed.total:,} problem(s) in {folder}; nothing was imported", file=sys.stderr)
    print(f"every file, column and check is described in {FORMAT_DOC}", file=sys.stderr)
    if getattr(args, "json", False):
        problems = [
            {"file": p.file, "line": p.line, "column": p.column, "message": p.message}
            for p in failed.problems
        ]
        payload = {"imported": False, "problems": problems, "problems_total": failed.total}
        print(json.dumps(payload, indent=2))
    return EXIT_BAD_INPUT


def _audited_import(engine: Any, folder: Path) -> Any:
    """Import a folder or a zip of one with one audit entry per file, by the operating-system
    user."""
    from api.services.audit import Operator, audit_import

    read = import_zip if folder.is_file() else import_folder
    return read(
        engine,
        folder,
        progress=progress_printer(True),
        before_commit=audit_import(Operator.current()),
    )


def _import(args: argparse.Namespace, folder: Path) -> int:
    engine = migrated_engine(args)
    start = time.perf_counter()
    try:
        report = _audited_import(engine, folder)
    except ImportFailed as failed:
        return _print_problems(args, folder, failed)
    elapsed = time.perf_counter() - start
    payload = {"imported": True, "runtime_s": round(elapsed, 2), **report.to_json()}
    emit(args, payload, f"{report.summary()}\nimported {folder} in {elapsed:.1f} s")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    return _import(args, Path(args.folder))


def cmd_export(args: argparse.Namespace) -> int:
    engine = migrated_engine(args)
    report = export_folder(engine, args.folder, progress=progress_printer(True))
    emit(
        args,
        {"out": str(args.folder), "files": report.files},
        f"{report.summary()}\nexported to {args.folder}",
    )
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    engine = migrated_engine(args)
    with session_scope(engine) as session:
        loaded = agency_summary(session).communities > 0
    if not (args.if_empty and loaded):
        from data.generate import generate

        generated = generate(
            SAMPLE_DIR,
            seed=SAMPLE_SEED,
            scale="county",
            census_day=args.census_day or date.today(),
            progress=progress_printer(True),
        )
        try:
            report = _audited_import(engine, SAMPLE_DIR)
        except ImportFailed as failed:
            return _print_problems(args, SAMPLE_DIR, failed)
        if not args.json:
            print(
                f"sample county (seed {SAMPLE_SEED}, its last day {generated.as_of}) "
                f"loaded from {SAMPLE_DIR}:"
            )
            print(report.summary())
            print()
    with session_scope(engine) as session:
        summary = agency_summary(session)
    url = database_url(args.database_url)
    emit(
        args,
        {"database": describe_url(url), **summary.to_json()},
        f"database {describe_url(url)}\n{summary.summary()}",
    )
    return EXIT_OK


def cmd_match(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from api.services.matching import (
        ChildNotFound,
        ChildNotInCare,
        load_group,
        load_matching_inputs,
    )
    from matching import load_policy, rank

    if args.limit < 0:
        print("fostermatch match: --limit must be 0 or more", file=sys.stderr)
        return EXIT_BAD_INPUT
    policy = load_policy(args.policy)
    engine = migrated_engine(args)
    with Session(engine) as session:
        try:
            children = load_group(session, args.child_id, as_of=args.as_of)
        except (ChildNotFound, ChildNotInCare) as exc:
            print(f"fostermatch match: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        inputs = load_matching_inputs(session, as_of=args.as_of)
    result = rank(children, inputs.snapshot, inputs.communities, policy, limit=args.limit)
    emit(args, wire(MatchResult, result.to_json()), result.summary())
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from api.services.matching import load_matching_inputs, load_waiting_children
    from matching import greedy, load_policy, plan, validate
    from matching.plan_result import checked

    if args.time_limit <= 0:
        print("fostermatch plan: --time-limit must be more than 0 seconds", file=sys.stderr)
        return EXIT_BAD_INPUT
    policy = load_policy(args.policy)
    engine = migrated_engine(args)
    with Session(engine) as session:
        children = load_waiting_children(session, as_of=args.as_of)
        inputs = load_matching_inputs(session, as_of=args.as_of)
    if args.baseline == "greedy":
        result = greedy(children, inputs.snapshot, inputs.communities, policy)
    else:
        result = plan(
            children,
            inputs.snapshot,
            inputs.communities,
            policy,
            time_limit_s=args.time_limit,
            seed=args.seed,
            deterministic=args.deterministic,
            progress=progress_printer(True),
        )
    # the solver-free checks are the specification: a family whose placement breaks one is
    # taken out of the plan and reported, every other child's plan printed; a plan still
    # breaking one is never printed as if it were fine
    if args.baseline == "greedy":
        violations = validate(children, inputs.snapshot, inputs.communities, policy, result)
    else:
        result, violations = checked(result, children, inputs.snapshot, inputs.communities, policy)
    if violations and args.baseline != "greedy":
        for violation in violations:
            print(f"violation: {violation.kind}: {violation.message}", file=sys.stderr)
        print(
            f"fostermatch plan: the plan breaks {len(violations)} rule(s); not printed",
            file=sys.stderr,
        )
        return EXIT_FAILED
    payload = result.to_json()
    if violations:  # today's practice may break rules the plan keeps (e.g. siblings split)
        payload["violations"] = [v.to_json() for v in violations]
    payload = wire(PlanResult, payload)  # the shape of GET /v1/plans/{id}'s result
    if args.equity:  # the audit instead of the plan (see api/cli/equity.py)
        from api.cli.equity import print_equity

        as_of = args.as_of or date.today()
        threshold = policy.suppression_threshold
        print_equity(args, engine, payload, as_of=as_of, threshold=threshold)
        return EXIT_OK
    text = result.summary()
    if violations:
        text += f"\n{len(violations)} rule(s) broken by the greedy baseline:\n" + "\n".join(
            f"  {v.kind}: {v.message}" for v in violations[:20]
        )
    emit(args, payload, text)
    return EXIT_OK


def openapi_text() -> str:
    """The API's OpenAPI document as docs/openapi.json holds it (2-space indent, newline)."""
    from sqlalchemy import create_engine

    from api.http.app import create_app

    # the document does not depend on the records: an empty database in memory will do
    engine = create_engine("sqlite://")
    try:
        document = create_app(engine, run_plan_jobs=False).openapi()
    finally:
        engine.dispose()
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def cmd_openapi(args: argparse.Namespace) -> int:
    sys.stdout.write(openapi_text())
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    from api.bench.suite import run_bench, table

    sections = [s.strip() for s in args.only.split(",")] if args.only else None
    results = run_bench(sections, seed=args.seed, progress=progress_printer(True))
    emit(args, results, table(results))
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from api.services.oidc import settings_from_env

    # a malformed identity-provider setting stops here, named, not in every worker
    oidc = settings_from_env()
    url = database_url(args.database_url)
    upgrade(make_engine(url))
    # the workers build their own engine from the environment
    os.environ["FOSTERMATCH_DATABASE_URL"] = url
    print(
        f"fostermatch serving {describe_url(url)} on http://{args.host}:{args.port}",
        file=sys.stderr,
    )
    if oidc is not None:
        print(f"the pages sign people in at {oidc.issuer} only", file=sys.stderr)
    uvicorn.run(
        "api.http.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        # uvicorn's access log prints request paths, which carry child ids: the app logs
        # the route template instead (logger fostermatch.access)
        access_log=False,
        log_config=_log_config(),
        # answers 414/431, not a reset, to a request line or headers too long to parse
        http="api.http.protocol:LimitedH11Protocol",
    )
    return EXIT_OK


def _log_config() -> dict[str, Any]:
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["fostermatch"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    return config


# -- parser -------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fostermatch",
        description="Foster and kinship family recruitment and matching engine.",
        epilog=f"Documentation: {DOCS_INDEX} in the source tree.",
    )
    parser.add_argument(
        "--database-url",
        help="database URL (default: $FOSTERMATCH_DATABASE_URL, else sqlite:///var/fostermatch.db)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db = commands.add_parser(
        "db", help="database schema", epilog=f"Migrations and upgrades: {OPERATING_DOC}"
    )
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply the schema migrations").set_defaults(
        func=cmd_db_upgrade
    )

    demo = commands.add_parser("demo", help="load the sample county and print its summary")
    demo.add_argument(
        "--if-empty",
        action="store_true",
        help="load the sample county only when the database holds no records",
    )
    demo.add_argument(
        "--census-day",
        type=date.fromisoformat,
        metavar="DAY",
        help="the county's last day, YYYY-MM-DD (default: today, the day matches and plans use)",
    )
    demo.add_argument("--json", action="store_true", help="print the summary as JSON")
    demo.set_defaults(func=cmd_demo)

    serve = commands.add_parser(
        "serve",
        help="serve the HTTP API and pages",
        epilog=f"Settings, workers, logs and backups: {OPERATING_DOC}; the API: docs/api.md",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    gen = commands.add_parser(
        "generate",
        help="write a synthetic sample county",
        epilog=f"How it is made: docs/sample-county.md; the files it writes: {FORMAT_DOC}",
    )
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--out", type=Path, required=True, help="folder to write")
    gen.add_argument("--scale", choices=("county", "state"), default="county")
    gen.add_argument(
        "--census-day",
        type=date.fromisoformat,
        metavar="DAY",
        help="date the agency so that its last day is DAY (default: 2026-10-31); "
        "the same seed gives the same agency on any day, dates moved",
    )
    gen.add_argument("--json", action="store_true")
    gen.set_defaults(func=cmd_generate)

    imp = commands.add_parser(
        "import",
        help="import a folder of records, or a zip of one (all or nothing)",
        epilog=f"The folder format, every column and every check: {FORMAT_DOC}",
    )
    imp.add_argument("folder", metavar="DIR|ZIP")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(func=cmd_import)

    match = commands.add_parser(
        "match",
        help="rank the homes for a child (with their waiting siblings), explained",
        epilog="Reading a ranking: docs/matching.md; the rules and the law: "
        "docs/matching-rules.md; the JSON: docs/api.md",
    )
    match.add_argument("child_id", metavar="CHILD_ID")
    match.add_argument("--limit", type=int, default=10, help="how many homes to list (10)")
    match.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        help="the matching date, YYYY-MM-DD (default: today): ages, free beds",
    )
    match.add_argument(
        "--policy",
        type=Path,
        default=None,
        help="a policy TOML file (default: the shipped matching/policy.toml)",
    )
    match.add_argument(
        "--json", action="store_true", help="print the JSON (its shape: docs/api.md)"
    )
    match.set_defaults(func=cmd_match)

    plan_cmd = commands.add_parser(
        "plan",
        help="plan placements for every waiting child at once (CP-SAT), explained",
        epilog="How the plan is made: docs/matching.md; the rules and the law: "
        "docs/matching-rules.md; --equity: docs/equity.md; the JSON: docs/api.md",
    )
    plan_cmd.add_argument("--time-limit", type=float, default=10.0, help="seconds (10)")
    plan_cmd.add_argument("--seed", type=int, default=0)
    plan_cmd.add_argument(
        "--deterministic",
        action="store_true",
        help="the same plan on every run even when the time limit stops the search "
        "(the limit then counts CP-SAT's deterministic time; slower for the same quality)",
    )
    plan_cmd.add_argument(
        "--baseline",
        choices=("greedy",),
        default=None,
        help="print today's practice instead: nearest eligible home, in waiting order",
    )
    plan_cmd.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        help="the planning date, YYYY-MM-DD (default: today)",
    )
    plan_cmd.add_argument("--policy", type=Path, default=None, help="a policy TOML file")
    plan_cmd.add_argument(
        "--equity",
        action="store_true",
        help="print the plan's equity audit (by race/ethnicity, sex, age band, beside the "
        "baseline; small groups suppressed) instead of the plan; with --json, its JSON",
    )
    plan_cmd.add_argument(
        "--json", action="store_true", help="print the JSON (its shape: docs/api.md)"
    )
    plan_cmd.set_defaults(func=cmd_plan)

    openapi = commands.add_parser(
        "openapi",
        help="print the API's OpenAPI document (make openapi writes it to docs/openapi.json)",
    )
    openapi.set_defaults(func=cmd_openapi)

    keys = commands.add_parser(
        "keys",
        help="API keys: create, list, revoke, demo",
        epilog="Roles and what each may call: docs/security.md",
    )
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = key_commands.add_parser("create", help="create a key (printed once)")
    create.add_argument(
        "--role", required=True, choices=("admin", "case_system", "coordinator", "recruiter")
    )
    create.add_argument("--label", required=True, help="who holds the key")
    create.add_argument("--json", action="store_true")
    create.set_defaults(func=cmd_keys_create)
    listing = key_commands.add_parser("list", help="list the keys (never their secrets)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_keys_list)
    revoke = key_commands.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id", type=int, metavar="ID")
    revoke.add_argument("--json", action="store_true")
    revoke.set_defaults(func=cmd_keys_revoke)
    demo_keys = key_commands.add_parser(
        "demo", help="revoke the previous demo keys and print a new one per role"
    )
    demo_keys.add_argument("--json", action="store_true")
    demo_keys.set_defaults(func=cmd_keys_demo)
    roles = key_commands.add_parser(
        "roles", help="which role may call which route (the matrix of docs/security.md)"
    )
    roles.add_argument("--json", action="store_true")
    roles.set_defaults(func=cmd_keys_roles)

    audit = commands.add_parser(
        "audit",
        help="the audit log: reads of child records, decisions",
        epilog="The entries, the hash chain and the export to a SIEM: docs/security.md",
    )
    audit.add_argument("--child", metavar="CHILD_ID", help="entries about this child")
    audit.add_argument("--action", help="e.g. read_child, match, decision")
    audit.add_argument("--key", type=int, metavar="KEY_ID", help="entries of this API key")
    audit.add_argument("--since", type=datetime.fromisoformat, help="ISO 8601 moment")
    audit.add_argument("--until", type=datetime.fromisoformat, help="ISO 8601 moment")
    audit.add_argument("--limit", type=int, default=1000, help="entries (1000)")
    audit.add_argument("--json", action="store_true")
    audit.set_defaults(func=cmd_audit)
    audit_commands = audit.add_subparsers(dest="audit_command", metavar="ACTION")
    verify = audit_commands.add_parser(
        "verify", help="check the hash chain; exit 1 at the first broken link"
    )
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(func=cmd_audit_verify)
    export = audit_commands.add_parser(
        "export", help="entries as JSON lines, oldest first, for a SIEM to collect"
    )
    export.add_argument("--after", type=int, metavar="ID", help="only entries after this id")
    export.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="append to FILE instead of printing, after the last entry it holds",
    )
    export.set_defaults(func=cmd_audit_export)

    bench = commands.add_parser(
        "bench",
        help='measure the speed targets (README, "Benchmark")',
        epilog=f"Running it: {OPERATING_DOC}",
    )
    bench.add_argument("--only", help="comma-separated sections (default: all built)")
    bench.add_argument("--seed", type=int, default=0)
    bench.add_argument("--json", action="store_true")
    bench.set_defaults(func=cmd_bench)

    exp = commands.add_parser(
        "export",
        help="export every record to a folder",
        epilog=f"What it writes: {FORMAT_DOC}",
    )
    exp.add_argument("folder", metavar="DIR", type=Path)
    exp.add_argument("--json", action="store_true")
    exp.set_defaults(func=cmd_export)

    # the analytics commands load pandas only when they run
    from api.cli.gaps import add_gaps_command
    from api.cli.outcomes import add_outcomes_command
    from api.cli.replay import add_replay_command
    from api.cli.webhooks import add_webhooks_command
    from api.cli.worker import add_worker_command

    add_gaps_command(commands)
    add_outcomes_command(commands)
    add_replay_command(commands)
    add_webhooks_command(commands)
    add_worker_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILED
    except (ValueError, OSError) as exc:
        print(f"fostermatch {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT if isinstance(exc, ValueError) else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
