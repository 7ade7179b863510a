"""Webhooks: the changes POSTed to a case system, signed, in order, retried until received.

The outbox is the change log itself. Each webhook keeps a cursor (``delivered_through``, the
last change it has handled): the next delivery is the first change after it of a kind the
webhook asked for. So a change is queued for every webhook in the change's own transaction
(it is in the log, or it did not happen), nothing is copied per webhook, and a webhook
registered later starts at the log's end. A receiver that fails holds up its own webhook only,
and in order: the same change is tried again, after 30 s, 1, 2, 4 ... minutes, at most
:data:`MAX_RETRY` apart, until the receiver answers 2xx; then the changes it missed follow,
oldest first. Each attempt is logged in ``webhook_deliveries``.

A delivery is ``POST`` of the change as JSON (:func:`api.services.changes.change_json`) with
``Fostermatch-Signature: t=TIMESTAMP,v1=HEX`` (HMAC-SHA256 with the webhook's secret over
``TIMESTAMP.BODY``; during a secret's rotation a second ``v1`` signed with the previous secret),
``Fostermatch-Event-Id`` (the change's id: a receiver drops a repeat) and
``Fostermatch-Event-Type``. :func:`verify_signature` is the check a receiver makes
(docs/integration.md).

Who delivers: :class:`Deliverer`, as a thread in the web process (SQLite, the default) or as
its own process (``fostermatch webhooks deliver``). Several deliverers may run: each takes a
webhook by a lease (a short transaction that sets ``lease_until``), posts outside any
transaction, and writes the outcome in another; a second deliverer skips a leased webhook.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

from sqlalchemy import Engine, delete, or_, select, update
from sqlmodel import Session, col

from api.services.audit import Actor, write_audit
from api.services.changes import change_json, event_id
from api.services.errors import Invalid, NotFound
from data.changes import changes_after
from data.db import session_scope
from data.models import ChangeEntry, Webhook, WebhookDelivery

__all__ = [
    "DEFAULT_GRACE",
    "MAX_RETRY",
    "SIGNATURE_HEADER",
    "Deliverer",
    "DeliveryFailed",
    "Post",
    "delete_webhook",
    "list_deliveries",
    "list_webhooks",
    "post_json",
    "register_webhook",
    "retry_delay",
    "rotate_secret",
    "sign",
    "verify_signature",
    "webhook_json",
]

SIGNATURE_HEADER = "Fostermatch-Signature"
EVENT_ID_HEADER = "Fostermatch-Event-Id"
EVENT_TYPE_HEADER = "Fostermatch-Event-Type"
TIMEOUT_S = 10.0  # connect and each read: a receiver that hangs counts as a failure
MAX_REDIRECTS = 3  # followed only to the same scheme, host and port
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=24)
LEASE = timedelta(minutes=2)  # longer than a batch of posts can take at TIMEOUT_S each
BATCH = 20  # changes posted per webhook before the deliverer looks at the others
DEFAULT_GRACE = timedelta(hours=24)
MAX_GRACE = timedelta(days=7)
TOLERANCE_S = 300  # the replay window a receiver should allow (docs/integration.md)

log = logging.getLogger("fostermatch.webhooks")


# -- signatures ---------------------------------------------------------------------------


def _hex(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secrets_: Sequence[str], timestamp: int, body: bytes) -> str:
    """The signature header's value: ``t=TIMESTAMP`` and one ``v1=HEX`` per secret."""
    return ",".join([f"t={timestamp}", *(f"v1={_hex(s, timestamp, body)}" for s in secrets_)])


def verify_signature(
    secret: str, header: str, body: bytes, *, now: float | None = None, tolerance_s: int = 300
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` within ``tolerance_s`` of ``now``.

    The receiver's check: split the header at commas, take ``t`` and every ``v1``, compute
    HMAC-SHA256 over ``t.body`` with the secret, compare in constant time with each ``v1``,
    and refuse a timestamp further than the tolerance from the receiver's clock (a replayed
    delivery is refused once it is old).
    """
    parts = [p.partition("=") for p in header.split(",")]
    stamps = [v for k, _, v in parts if k.strip() == "t"]
    given = [v.strip() for k, _, v in parts if k.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not given:
        return False
    timestamp = int(stamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    expected = _hex(secret, timestamp, body)
    return any(hmac.compare_digest(expected, v) for v in given)


def retry_delay(failures: int) -> timedelta:
    """How long to wait after the ``failures``-th failed attempt at a change (1 or more)."""
    doubled: timedelta = FIRST_RETRY * (1 << min(failures - 1, 20))
    return min(doubled, MAX_RETRY)


# -- registering ----------------------------------------------------------------------------


def _new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    problem = None
    if parts.scheme not in ("http", "https"):
        problem = f"must be an http or https URL; {parts.scheme or 'no'} scheme given"
    elif not parts.hostname:
        problem = "names no host"
    elif parts.username or parts.password:
        problem = "must not carry a user name or password (the signature proves the sender)"
    elif parts.fragment:
        problem = "must not have a #fragment"
    if problem is not None:
        raise Invalid(f"body.url {problem}", errors=[{"loc": ["body", "url"], "message": problem}])
    return url.strip()


def _check_events(events: Sequence[str]) -> list[str]:
    for i, kind in enumerate(events):
        entity, dot, verb = kind.partition(".")
        ok = kind == "*" or (
            dot == "."
            and entity.replace("_", "").isalpha()
            and (verb == "*" or verb.replace("_", "").isalpha())
        )
        if not ok:
            message = (
                f"{kind!r} is not a change kind: expected ENTITY.VERB (child.updated), "
                "ENTITY.* (decision.*) or *"
            )
            raise Invalid(
                f"body.events[{i}]: {message}",
                errors=[{"loc": ["body", "events", i], "message": message}],
            )
    return sorted(set(events))


def _wants(webhook: Webhook, kind: str) -> bool:
    if not webhook.events or "*" in webhook.events:
        return True
    return kind in webhook.events or f"{kind.partition('.')[0]}.*" in webhook.events


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def webhook_json(webhook: Webhook, *, secret: str | None = None) -> dict[str, Any]:
    """A webhook as the API shows it: never its secret, except once (``secret``) when made."""
    rotating = _utc(webhook.previous_secret_until) if webhook.previous_secret else None
    out = {
        "id": webhook.id,
        "url": webhook.url,
        "events": list(webhook.events),
        "description": webhook.description,
        "created_at": _utc(webhook.created_at).isoformat(),  # type: ignore[union-attr]
        "delivered_through": webhook.delivered_through,
        "failures": webhook.failures,
        "next_attempt_at": (n.isoformat() if (n := _utc(webhook.next_attempt_at)) else None),
        "previous_secret_valid_until": rotating.isoformat() if rotating else None,
    }
    if secret is not None:
        out["secret"] = secret
    return out


def _last_seq(session: Session) -> int:
    last = session.execute(
        select(col(ChangeEntry.seq)).order_by(col(ChangeEntry.seq).desc()).limit(1)
    ).scalar_one_or_none()
    return int(last or 0)


def register_webhook(
    engine: Engine,
    principal: Actor,
    url: str,
    events: Sequence[str],
    description: str | None,
) -> dict[str, Any]:
    """Store a webhook, audited; its JSON with the generated secret (shown this once).

    It receives the changes committed from now on.

    Raises
    ------
    Invalid
        A URL that is not http(s) or names no host; an unknown pattern of change kinds.
    """
    url = _check_url(url)
    kinds = _check_events(events)
    secret = _new_secret()
    with session_scope(engine) as session:
        webhook = Webhook(
            url=url,
            events=kinds,
            description=description,
            secret=secret,
            key_id=principal.key_id,
            created_at=datetime.now(UTC),
            delivered_through=_last_seq(session),
        )
        session.add(webhook)
        session.flush()
        _audit(session, principal, "webhook_create", webhook)
        return webhook_json(webhook, secret=secret)


def _audit(session: Session, principal: Actor, action: str, webhook: Webhook) -> None:
    # the host only: a URL's path or query may carry the receiver's own token
    host = urlsplit(webhook.url).hostname
    write_audit(
        session,
        principal,
        action,
        "webhook",
        detail=f"webhook {webhook.id} to host {host}",
        record_id=str(webhook.id),
    )


def _get(session: Session, webhook_id: int) -> Webhook:
    webhook = session.get(Webhook, webhook_id)
    if webhook is None:
        raise NotFound(f"no webhook {webhook_id}")
    return webhook


def list_webhooks(session: Session) -> list[dict[str, Any]]:
    """Every webhook, oldest first, without secrets."""
    rows = session.execute(select(Webhook).order_by(col(Webhook.id))).scalars()
    return [webhook_json(w) for w in rows]


def delete_webhook(engine: Engine, principal: Actor, webhook_id: int) -> None:
    """Delete a webhook and its delivery log, audited; nothing more is sent to it.

    Raises
    ------
    NotFound
        When there is no such webhook.
    """
    with session_scope(engine) as session:
        webhook = _get(session, webhook_id)
        _audit(session, principal, "webhook_delete", webhook)
        session.execute(
            delete(WebhookDelivery).where(col(WebhookDelivery.webhook_id) == webhook_id)
        )
        session.delete(webhook)


def rotate_secret(
    engine: Engine,
    principal: Actor,
    webhook_id: int,
    grace: timedelta = DEFAULT_GRACE,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Give a webhook a new secret, audited; the old one signs too until ``grace`` is over.

    Raises
    ------
    NotFound
        When there is no such webhook.
    Invalid
        A grace period below zero or above :data:`MAX_GRACE`.
    """
    if not timedelta(0) <= grace <= MAX_GRACE:
        message = f"must be between 0 and {MAX_GRACE.days * 24} hours"
        raise Invalid(
            f"body.grace_hours {message}",
            errors=[{"loc": ["body", "grace_hours"], "message": message}],
        )
    secret = _new_secret()
    with session_scope(engine) as session:
        webhook = _get(session, webhook_id)
        webhook.previous_secret = webhook.secret
        webhook.previous_secret_until = (now or datetime.now(UTC)) + grace
        webhook.secret = secret
        _audit(session, principal, "webhook_rotate", webhook)
        session.flush()
        return webhook_json(webhook, secret=secret)


def list_deliveries(
    session: Session, webhook_id: int, after: int | None, limit: int
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of a webhook's delivery attempts, oldest first, and the ``after`` of the next.

    Raises
    ------
    NotFound
        When there is no such webhook.
    """
    _get(session, webhook_id)
    statement = (
        select(WebhookDelivery)
        .where(col(WebhookDelivery.webhook_id) == webhook_id)
        .order_by(col(WebhookDelivery.id))
        .limit(limit + 1)
    )
    if after is not None:
        statement = statement.where(col(WebhookDelivery.id) > after)
    rows = list(session.execute(statement).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        {
            "id": d.id,
            "event_id": d.event_id,
            "seq": d.seq,
            "kind": d.kind,
            "attempt": d.attempt,
            "at": _utc(d.at).isoformat(),  # type: ignore[union-attr]
            "status_code": d.status_code,
            "error": d.error,
            "duration_ms": d.duration_ms,
            "delivered": d.delivered,
        }
        for d in rows
    ]
    return items, (rows[-1].id if more and rows else None)


# -- posting --------------------------------------------------------------------------------


class DeliveryFailed(Exception):
    """A delivery that got no answer (refused, timed out, a redirect not followed)."""


Post = Callable[[str, bytes, dict[str, str]], int]


def post_json(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST ``body`` to ``url``; the status code of the answer.

    Standard library only, :data:`TIMEOUT_S` on connecting and on each read; a redirect is
    followed only to the same scheme, host and port (at most :data:`MAX_REDIRECTS`), as a
    signed delivery must not be handed to another server.

    Raises
    ------
    DeliveryFailed
        With what went wrong, when no final answer came.
    """
    origin = urlsplit(url)
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        kind = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = kind(parts.hostname or "", parts.port, timeout=TIMEOUT_S)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            response.read(64 * 1024)  # the answer's body is not used; bounded
            status, location = response.status, response.getheader("Location")
        except (OSError, http.client.HTTPException) as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
        finally:
            connection.close()
        if status not in (301, 302, 303, 307, 308) or location is None:
            return status
        url = urljoin(url, location)
        moved = urlsplit(url)
        if (moved.scheme, moved.hostname, moved.port) != (
            origin.scheme,
            origin.hostname,
            origin.port,
        ):
            raise DeliveryFailed(
                f"answered {status} with a redirect to another host ({moved.hostname}): "
                "not followed"
            )
    raise DeliveryFailed(f"more than {MAX_REDIRECTS} redirects")


# -- delivering -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Deliverer:
    """Posts each webhook's pending changes, in order, with backoff while its receiver fails.

    Parameters
    ----------
    engine
        The database.
    clock
        The time now (a test passes a fake one to see an hour of retries in no time).
    post
        How to POST (default :func:`post_json`).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        post: Post = post_json,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.post = post
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One pass over the webhooks that are due; how many attempts were made."""
        now = self.clock()
        with Session(self.engine) as session:
            last = _last_seq(session)
            # only webhooks with changes after their cursor: an idle pass writes nothing
            due = list(
                session.execute(
                    select(col(Webhook.id))
                    .where(
                        col(Webhook.delivered_through) < last,
                        or_(
                            col(Webhook.next_attempt_at).is_(None),
                            col(Webhook.next_attempt_at) <= now,
                        ),
                    )
                    .order_by(col(Webhook.id))
                ).scalars()
            )
        attempts = 0
        for webhook_id in due:
            if webhook_id is not None and self._lease(webhook_id, now):
                try:
                    attempts += self._deliver(webhook_id)
                finally:
                    self._release(webhook_id)
        return attempts

    def _lease(self, webhook_id: int, now: datetime) -> bool:
        with session_scope(self.engine) as session:
            taken = session.execute(
                update(Webhook)
                .where(
                    col(Webhook.id) == webhook_id,
                    or_(col(Webhook.lease_until).is_(None), col(Webhook.lease_until) < now),
                    or_(
                        col(Webhook.next_attempt_at).is_(None), col(Webhook.next_attempt_at) <= now
                    ),
                )
                .values(lease_until=now + LEASE)
            )
            return bool(taken.rowcount)  # type: ignore[attr-defined]

    def _release(self, webhook_id: int) -> None:
        with session_scope(self.engine) as session:
            session.execute(
                update(Webhook).where(col(Webhook.id) == webhook_id).values(lease_until=None)
            )

    def _deliver(self, webhook_id: int) -> int:
        """Post the webhook's next changes until one fails or :data:`BATCH` are sent."""
        attempts = 0
        while attempts < BATCH:
            with Session(self.engine) as session:
                webhook = session.get(Webhook, webhook_id)
                if webhook is None:
                    return attempts  # deleted meanwhile
                through = webhook.delivered_through
                pending = changes_after(session, through, BATCH)
                found = next((c for c in pending if _wants(webhook, c.kind)), None)
                if found is None:
                    if pending:  # none of these is asked for: step over them
                        self._advance(webhook_id, through, pending[-1].seq)
                        continue
                    return attempts
                session.expunge_all()
            outcome = self._post(webhook, found)
            attempts += 1
            if not self._record(webhook_id, through, found, outcome) or not outcome.delivered:
                return attempts
        return attempts

    def _advance(self, webhook_id: int, through: int, to: int) -> None:
        with session_scope(self.engine) as session:
            session.execute(
                update(Webhook)
                .where(col(Webhook.id) == webhook_id, col(Webhook.delivered_through) == through)
                .values(delivered_through=to)
            )

    def _post(self, webhook: Webhook, change: ChangeEntry) -> _Outcome:
        now = self.clock()
        body = json.dumps(change_json(change), separators=(",", ":")).encode()
        keys = [webhook.secret]
        until = _utc(webhook.previous_secret_until)
        if webhook.previous_secret and until is not None and until > now:
            keys.append(webhook.previous_secret)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "fostermatch-webhooks",
            SIGNATURE_HEADER: sign(keys, int(now.timestamp()), body),
            EVENT_ID_HEADER: event_id(change.seq),
            EVENT_TYPE_HEADER: change.kind,
        }
        started = time.perf_counter()
        try:
            status: int | None = self.post(webhook.url, body, headers)
            error = None if status is not None and 200 <= status < 300 else f"answered {status}"
        except DeliveryFailed as failed:
            status, error = None, str(failed)
        duration = int((time.perf_counter() - started) * 1000)
        return _Outcome(status, error[:500] if error else None, duration)

    def _record(
        self, webhook_id: int, through: int, change: ChangeEntry, outcome: _Outcome
    ) -> bool:
        """Log the attempt and move the webhook on (or back off); False if it is gone."""
        now = self.clock()
        with session_scope(self.engine) as session:
            webhook = session.get(Webhook, webhook_id)
            if webhook is None or webhook.delivered_through != through:
                return False  # deleted, or handled by another deliverer after a lost lease
            session.add(
                WebhookDelivery(
                    webhook_id=webhook_id,
                    seq=change.seq,
                    event_id=event_id(change.seq),
                    kind=change.kind,
                    attempt=webhook.failures + 1,
                    at=now,
                    status_code=outcome.status_code,
                    error=outcome.error,
                    duration_ms=outcome.duration_ms,
                    delivered=outcome.delivered,
                )
            )
            if outcome.delivered:
                webhook.delivered_through = change.seq
                webhook.failures = 0
                webhook.next_attempt_at = None
            else:
                webhook.failures += 1
                webhook.next_attempt_at = now + retry_delay(webhook.failures)
                # the URL's host only: its path may carry the receiver's token
                log.warning(
                    "webhook %s: delivery of %s failed (%s); next attempt at %s",
                    webhook_id,
                    event_id(change.seq),
                    outcome.error,
                    webhook.next_attempt_at.isoformat(),
                )
        return True

    # -- running in the background ------------------------------------------------------------

    def run(self, interval_s: float = 1.0) -> None:
        """Deliver until :meth:`stop`, looking for work every ``interval_s`` seconds."""
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except Exception as exc:  # a lost database: keep trying, say so without data
                log.error("webhook delivery pass failed: %s", type(exc).__name__)
                busy = 0
            if not busy:
                self._stop.wait(interval_s)

    def start(self, interval_s: float = 1.0) -> None:
        """Run :meth:`run` in a daemon thread of this process."""
        self._stop.clear()
        self._thread = threading.Thread(
            target=self.run, args=(interval_s,), name="webhook-deliverer", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (after the post in progress, if any)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT_S * (MAX_REDIRECTS + 1) + 5)
            self._thread = None
