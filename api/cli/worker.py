"""``fostermatch worker``: a process that takes plan jobs from the PostgreSQL job queue.

Run as many as you like, on any machines that reach the database; each runs
``--concurrency`` plans at once (a plan uses every core: one per machine is the usual
choice). SIGINT or SIGTERM stops it after its running plans finish. The queue and what
happens to the job of a worker that dies: :mod:`api.services.plan_queue`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from api.cli.common import EXIT_BAD_INPUT, EXIT_OK, disposed_engine


def cmd_worker(args: argparse.Namespace) -> int:
    from api.services.plan_queue import PlanWorker
    from data.db import describe_url
    from matching import load_policy

    if args.concurrency < 1:
        print("fostermatch worker: --concurrency must be 1 or more", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.stalled_after <= 0:
        print("fostermatch worker: --stalled-after must be above 0 seconds", file=sys.stderr)
        return EXIT_BAD_INPUT
    with disposed_engine(args) as engine:
        where = describe_url(str(engine.url))
        if engine.dialect.name != "postgresql":
            print(
                f"fostermatch worker: the job queue needs PostgreSQL; {where} is not "
                "(with SQLite the web process runs the plans itself)",
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT
        worker = PlanWorker(
            engine,
            load_policy(),
            concurrency=args.concurrency,
            stalled_after_s=args.stalled_after,
        )
        print(
            f"fostermatch worker on {where}: {args.concurrency} plan(s) at a time",
            file=sys.stderr,
            flush=True,
        )
        worker.run()  # until SIGINT or SIGTERM
    return EXIT_OK


def add_worker_command(commands: Any) -> None:
    """The ``worker`` command."""
    from api.services.plan_queue import STALLED_AFTER_S

    worker = commands.add_parser(
        "worker",
        help="take plan jobs from the PostgreSQL job queue and run them",
        epilog="Workers and the job queue: docs/operating.md",
    )
    worker.add_argument(
        "--concurrency", type=int, default=1, help="plans run at once by this process (1)"
    )
    worker.add_argument(
        "--stalled-after",
        type=float,
        default=STALLED_AFTER_S,
        metavar="SECONDS",
        help=f"a worker silent this long is taken for dead and its plan run again "
        f"({STALLED_AFTER_S:g})",
    )
    worker.set_defaults(func=cmd_worker)
