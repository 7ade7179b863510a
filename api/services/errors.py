"""The errors a service raises, in the domain's words; no HTTP here.

::

    ServiceError        what went wrong, as a sentence (``detail``) and the fields at fault
     ├── NotFound       a record asked for is not in the records
     ├── Conflict       the records forbid it now: a bed taken, a record still referred to
     ├── Invalid        the request itself is wrong: ``errors`` names each field
     ├── PreconditionFailed    a condition of the request (If-Match, If-None-Match) is false
     ├── PreconditionRequired  an update that must say which version it replaces did not
     ├── TooLarge       more than a limit allows (an upload's size, its count of problems)
     ├── TooMany        a limit on work at once reached; ``retry_after_s`` says when to retry
     └── Unavailable    something the service needs is down; ``retry_after_s`` as above

The HTTP application answers each with problem+json (``api/http/problems.py``, one handler);
the pages render the same sentence; the command line prints it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "Conflict",
    "FieldError",
    "Invalid",
    "NotFound",
    "PreconditionFailed",
    "PreconditionRequired",
    "ServiceError",
    "TooLarge",
    "TooMany",
    "Unavailable",
    "invalid",
]

FieldError = dict[str, Any]  # {"loc": ["body", "reason"], "message": "..."}


class ServiceError(Exception):
    """A request a service refuses, with a sentence a person can act on.

    Parameters
    ----------
    detail
        What is wrong, naming the field or record at fault.
    errors
        The fields at fault, each ``{"loc": [...], "message": ...}`` (``loc`` starts with
        ``body``, ``query`` or ``path``, as the API names them).
    errors_total
        How many problems were found, when ``errors`` lists only the first ones.
    retry_after_s
        When trying again may succeed, in whole seconds.
    """

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[FieldError] = (),
        errors_total: int | None = None,
        retry_after_s: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        self.errors_total = errors_total
        self.retry_after_s = retry_after_s


class NotFound(ServiceError):
    """A record asked for is not in the records."""


class Conflict(ServiceError):
    """The records forbid the change now; asking again after they change may succeed."""


class Invalid(ServiceError):
    """The request is wrong in itself: ``errors`` names each field at fault."""


class PreconditionFailed(ServiceError):
    """A condition of the request is false now: the record changed since the caller read it
    (a stale or unknown ``If-Match``), or exists where ``If-None-Match: *`` asked it not to.

    ``current_etag`` is the record's entity tag now (None when there is no record).
    """

    def __init__(self, detail: str, *, current_etag: str | None) -> None:
        super().__init__(detail)
        self.current_etag = current_etag


class PreconditionRequired(ServiceError):
    """An update of an existing record that does not say which version it replaces."""

    def __init__(self, detail: str, *, current_etag: str) -> None:
        super().__init__(detail)
        self.current_etag = current_etag


class TooLarge(ServiceError):
    """More than a limit allows: an upload's size, or more problems than are worth listing."""


class TooMany(ServiceError):
    """A limit on work at once is reached; ``retry_after_s`` says when one should be free."""


class Unavailable(ServiceError):
    """Something the service needs is down; ``retry_after_s`` says when to try again."""


def invalid(loc: Sequence[str | int], message: str) -> Invalid:
    """An :class:`Invalid` for one field: ``invalid(["body", "reason"], "is required")``."""
    where = ".".join(str(part) for part in loc)
    return Invalid(f"{where}: {message}", errors=[{"loc": list(loc), "message": message}])
