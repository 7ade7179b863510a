"""Conditional writes of records (RFC 9110, section 13): entity tags from record versions.

Every record carries a version (1 when first written, one more on every change); its entity
tag is ``"v<version>"``. A ``PUT`` or ``DELETE`` may say which version it replaces
(``If-Match``) or that it only creates (``If-None-Match: *``); :meth:`Preconditions.check`
compares that with the version read, under the write's lock, in the write's transaction, so
nothing changes the record between the check and the write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from api.services.errors import PreconditionFailed, PreconditionRequired

__all__ = ["Preconditions", "etag", "matches_any"]

_TAG = re.compile(r'\s*(W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*')


def etag(version: int) -> str:
    """The strong entity tag of a record at ``version``."""
    return f'"v{version}"'


def _tags(header: str) -> list[tuple[bool, str]] | None:
    """The tags of an If-Match / If-None-Match list as ``(weak, tag)``; None when malformed."""
    out: list[tuple[bool, str]] = []
    for part in header.split(","):
        if not part.strip():
            continue
        found = _TAG.fullmatch(part)
        if found is None:
            return None
        out.append((found.group(1) is not None, found.group(2)))
    return out


def matches_any(header: str, current: str, *, weak: bool) -> bool:
    """Whether the list ``header`` (or ``*``) names ``current``; strong comparison (a weak tag
    never matches) unless ``weak`` (If-None-Match compares weakly)."""
    if header.strip() == "*":
        return True
    tags = _tags(header) or []
    return any(tag == current and (weak or not is_weak) for is_weak, tag in tags)


@dataclass(frozen=True, slots=True)
class Preconditions:
    """The conditions of one write, as the request sent them.

    ``require_if_match``: an update of an existing record without ``If-Match`` is refused
    (428), so a writer can never replace a version it has not seen.
    """

    if_match: str | None = None
    if_none_match: str | None = None
    require_if_match: bool = False

    def check(self, what: str, version: int | None) -> None:
        """Refuse the write of ``what`` (e.g. "the child 'C1'") at ``version`` (None: there
        is no such record) when a condition is false.

        Raises
        ------
        PreconditionFailed
            A stale, unknown or malformed ``If-Match``; ``If-Match`` on a missing record;
            ``If-None-Match`` naming the record as it is (``*``: it exists).
        PreconditionRequired
            ``require_if_match`` and no ``If-Match`` for a record that exists.
        """
        current = etag(version) if version is not None else None
        if self.if_match is not None:
            if current is None:
                raise PreconditionFailed(
                    f"If-Match: {what} does not exist (any more); the request asked to "
                    "change it as it was",
                    current_etag=None,
                )
            if not matches_any(self.if_match, current, weak=False):
                raise PreconditionFailed(
                    f"If-Match: {what} is at ETag {current}, not {self.if_match.strip()[:100]}: "
                    "it changed since it was read (or the tag is not one this server "
                    "gave); read it again (GET) and apply the change to what it is now",
                    current_etag=current,
                )
        if (
            self.if_none_match is not None
            and current is not None
            and matches_any(self.if_none_match, current, weak=True)
        ):
            detail = (
                f"If-None-Match: {what} exists already (ETag {current}); the request asked "
                "only to create it"
                if self.if_none_match.strip() == "*"
                else f"If-None-Match: {what} is at ETag {current}, a version the request "
                "named as not to be written over"
            )
            raise PreconditionFailed(
                detail,
                current_etag=current,
            )
        if self.require_if_match and self.if_match is None and current is not None:
            raise PreconditionRequired(
                f"{what} exists (ETag {current}): an update must send If-Match with the ETag "
                "of the version it replaces, so that no other writer's change is lost",
                current_etag=current,
            )
