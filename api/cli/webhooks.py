"""``fostermatch webhooks deliver``: the webhook deliverer as its own process.

With PostgreSQL the web processes do not deliver (several of them would only wait on each
other's leases); run this beside them, as many as you like. ``--once`` makes one pass over
the webhooks that are due and exits (for cron, or a test).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from api.cli.common import EXIT_BAD_INPUT, EXIT_OK, disposed_engine, emit


def cmd_webhooks_deliver(args: argparse.Namespace) -> int:
    from api.services.webhooks import Deliverer

    if args.interval <= 0:
        print("fostermatch webhooks deliver: --interval must be above 0 seconds", file=sys.stderr)
        return EXIT_BAD_INPUT
    with disposed_engine(args) as engine:
        deliverer = Deliverer(engine)
        if args.once:
            attempts = deliverer.run_once()
            emit(args, {"attempts": attempts}, f"{attempts} delivery attempt(s)")
            return EXIT_OK
        deliverer.run(args.interval)  # until interrupted
    return EXIT_OK


def add_webhooks_command(commands: Any) -> None:
    """The ``webhooks`` command and its actions."""
    webhooks = commands.add_parser("webhooks", help="deliver the changes to the webhooks")
    actions = webhooks.add_subparsers(dest="webhooks_command", required=True, metavar="ACTION")
    deliver = actions.add_parser(
        "deliver", help="post the pending changes to each webhook, in order, with retries"
    )
    deliver.add_argument("--once", action="store_true", help="one pass, then exit")
    deliver.add_argument(
        "--interval", type=float, default=1.0, help="seconds between passes when idle (1)"
    )
    deliver.add_argument("--json", action="store_true")
    deliver.set_defaults(func=cmd_webhooks_deliver)
