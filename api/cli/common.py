"""What the commands share: exit statuses, progress on stderr, ``--json`` output and the
migrated database engine of ``--database-url``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from data.db import make_engine, upgrade

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FAILED",
    "EXIT_OK",
    "disposed_engine",
    "emit",
    "migrated_engine",
    "progress_printer",
]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def progress_printer(enabled: bool) -> Callable[[str], None] | None:
    if not enabled or not sys.stderr.isatty():
        return None
    start = time.perf_counter()

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - start:6.1f}s] {message}", file=sys.stderr, flush=True)

    return say


def emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(payload, indent=2, default=str))
    else:
        print(text)


def migrated_engine(args: argparse.Namespace) -> Any:
    engine = make_engine(getattr(args, "database_url", None))
    upgrade(engine)
    return engine


@contextmanager
def disposed_engine(args: argparse.Namespace) -> Iterator[Any]:
    """The migrated engine, its connections closed when the command is done."""
    engine = migrated_engine(args)
    try:
        yield engine
    finally:
        engine.dispose()
