"""The transactional outbox: a message is stored with the change that causes it.

``stage()`` writes an :class:`OutboxMessage` in the caller's transaction; after commit the
message is sent to Dramatiq at once (the fast path) and the row is removed in a batch by a
background reaper (one ``DELETE`` for many messages, not a transaction each). If Redis is
down at that moment the row simply stays, and :func:`relay_pending` — run by the scheduler every
second — sends it later. Receivers are idempotent, so a message sent twice does no harm;
a message is never lost.

Writers that commit without an ORM session (the webhook ingress's single statement) call
:func:`send_now` themselves.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import dramatiq
from sqlalchemy import event
from sqlmodel import Field, Session, SQLModel, col, select

from flowyard.engine.models import jsonb
from tenants.models import timestamp, utcnow
from tenants.ownership import TenantOwned

log = logging.getLogger(__name__)
_PENDING_KEY = "flowyard_outbox_pending"


class OutboxMessage(TenantOwned, SQLModel, table=True):
    __tablename__ = "outbox_message"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    actor: str = Field(max_length=100)
    queue: str = Field(max_length=100)
    args: list[Any] = jsonb(nullable=False, default=[])
    options: dict[str, Any] = jsonb(nullable=False, default={})
    created_at: datetime = timestamp(nullable=False)
    attempts: int = Field(default=0)


def message_values(
    actor: dramatiq.Actor, *args: Any, tenant_id: uuid.UUID, **options: Any
) -> dict[str, Any]:
    """The columns of an outbox row for ``actor`` (the rest are the model's defaults)."""
    return {
        "tenant_id": tenant_id,
        "actor": actor.actor_name,
        "queue": actor.queue_name,
        "args": [str(a) if isinstance(a, uuid.UUID) else a for a in args],
        "options": options,
    }


def message(
    actor: dramatiq.Actor, *args: Any, tenant_id: uuid.UUID, **options: Any
) -> OutboxMessage:
    """The outbox row for ``actor`` (not yet stored)."""
    return OutboxMessage(**message_values(actor, *args, tenant_id=tenant_id, **options))


class Sendable(Protocol):
    """What sending needs of a stored message: an :class:`OutboxMessage` or a
    :class:`StoredMessage`."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def actor(self) -> str: ...
    @property
    def args(self) -> list[Any]: ...
    @property
    def options(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A committed outbox row as plain values, for writers that insert rows with SQL (no
    ORM instance to build just to send it)."""

    id: uuid.UUID
    actor: str
    args: list[Any]
    options: dict[str, Any]

    @classmethod
    def of(cls, row: dict[str, Any]) -> StoredMessage:
        return cls(row["id"], row["actor"], row["args"], row["options"])


def stage(
    db: Session, actor: dramatiq.Actor, *args: Any, tenant_id: uuid.UUID, **options: Any
) -> OutboxMessage:
    """Store a message for ``actor`` in the current transaction; it is sent after commit."""
    row = message(actor, *args, tenant_id=tenant_id, **options)
    db.add(row)
    db.info.setdefault(_PENDING_KEY, []).append(row)
    return row


def _send(row: Sendable) -> None:
    broker = dramatiq.get_broker()
    actor = broker.get_actor(row.actor)
    actor.send_with_options(args=tuple(row.args), **(row.options or {}))


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    pending: list[OutboxMessage] = session.info.pop(_PENDING_KEY, [])
    if not pending:
        return
    for row in pending:
        if not send_now(row):
            break  # Redis down: the relay sends this one and the rest later


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def relay_pending(*, older_than: timedelta = timedelta(seconds=2), limit: int = 500) -> int:
    """Send stored messages the fast path did not (e.g. Redis was down); returns how many."""
    from flowyard.db import system_session

    cutoff = utcnow() - older_than
    sent = 0
    with system_session() as db:
        rows = db.exec(
            select(OutboxMessage)
            .where(OutboxMessage.created_at < cutoff)
            .order_by(col(OutboxMessage.created_at))
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            try:
                _send(row)
            except Exception as error:
                log.warning("outbox relay: Redis unavailable (%s)", error)
                row.attempts += 1
                db.add(row)
                break
            db.delete(row)
            sent += 1
        db.commit()
    return sent


class _SentRowReaper:
    """Deletes outbox rows that were already sent, in batches, from one background thread.

    Why: a writer that sends its message right after its own commit (the webhook ingress)
    would otherwise pay a second transaction per message just to delete the row. Here the
    ids are collected and removed every ``interval`` seconds in one ``DELETE``.

    The trade-off, on purpose: if this process dies (or the delete fails) before the batch
    is removed, :func:`relay_pending` sends those messages a second time after ``older_than``.
    Receivers are idempotent (an execution that is already running or finished is not run
    again), so a rare duplicate message is harmless; a lost one is impossible because the
    row is only ever deleted after its message was handed to the broker.
    """

    def __init__(self, interval: float = 0.05, batch: int = 1000) -> None:
        self.interval = interval
        self.batch = batch
        self._ids: list[uuid.UUID] = []
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def add(self, row_id: uuid.UUID) -> None:
        with self._lock:
            self._ids.append(row_id)
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._start()
        if len(self._ids) >= self.batch:
            self._wake.set()

    def _start(self) -> None:
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._loop, name="outbox-reaper", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            self.flush()

    def flush(self) -> int:
        """Delete every row collected so far, returning once they are gone (or the delete
        failed); returns how many ids were in this call's batch.

        One flush at a time: a caller that finds the thread deleting waits for that batch
        too, instead of returning while rows it was given are still there."""
        with self._flushing:
            with self._lock:
                ids, self._ids = self._ids, []
            if ids:
                _delete_sent(ids)
            return len(ids)


def _delete_sent(ids: list[uuid.UUID]) -> None:
    from flowyard.db import get_engine

    try:
        with get_engine().begin() as conn:
            conn.exec_driver_sql("DELETE FROM outbox_message WHERE id = ANY(%(ids)s)", {"ids": ids})
    except Exception as error:  # the relay will resend; receivers are idempotent
        log.warning("outbox: could not clear %d sent rows (%s)", len(ids), error)


reaper = _SentRowReaper()
atexit.register(reaper.flush)


def send_now(row: Sendable) -> bool:
    """Send a committed row's message at once and have the reaper delete the row.

    For writers that commit without an ORM session (so ``after_commit`` does not fire).
    Returns False when Redis is unavailable: the row stays for :func:`relay_pending`.
    """
    try:
        _send(row)
    except Exception as error:  # Redis down: the relay will send it later
        log.warning("outbox: could not send %s now (%s); relay will retry", row.actor, error)
        return False
    reaper.add(row.id)
    return True
