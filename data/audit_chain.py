"""The audit log's hash chain: how an entry's hash is computed from its fields.

Each entry carries ``prev_hash`` (the hash of the entry before it; :data:`GENESIS` for the
first) and ``hash``: SHA-256, hex, of the canonical serialisation of the entry's fields and
``prev_hash``. Changing, deleting, inserting or reordering an entry therefore breaks a link
that :func:`api.services.audit.verify_chain` finds. The entry's database id is not hashed:
it is known only after the insert, and the order of the entries is what the links prove.

The canonical serialisation is JSON with sorted keys, no spaces and ASCII escapes; the time is
UTC without an offset, to the microsecond, as both databases store it (PostgreSQL keeps the
instant, SQLite the UTC wall-clock text). The migration that introduced the chain (0005) uses
this module to chain the entries written before it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

__all__ = ["GENESIS", "HASHED_FIELDS", "entry_hash"]

GENESIS = "0" * 64  # the prev_hash of the first entry

# the columns an entry's hash covers, besides prev_hash (every column but id and hash)
HASHED_FIELDS = (
    "at",
    "key_id",
    "key_label",
    "role",
    "action",
    "resource",
    "record_id",
    "child_ids",
    "fields",
    "detail",
)


def _utc_text(at: datetime) -> str:
    # a naive time is the UTC wall clock SQLite stores
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def entry_hash(entry: Any, prev_hash: str) -> str:
    """The hash of ``entry`` (an object with the :data:`HASHED_FIELDS` as attributes)."""
    values: dict[str, Any] = {name: getattr(entry, name) for name in HASHED_FIELDS}
    values["at"] = _utc_text(values["at"])
    for name in ("child_ids", "fields"):
        values[name] = list(values[name] or ())
    values["prev_hash"] = prev_hash
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()
