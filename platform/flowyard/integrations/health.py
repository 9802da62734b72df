"""Connection health as the card shows it: last success, last error, calls today, headroom.

The provider client counts outcomes while a step runs and writes them in one UPDATE when the
step closes it, so health costs one statement per step, not one per API call.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, update

from flowyard import clock
from flowyard.db import tenant_session
from flowyard.integrations.models import Connection


@dataclass
class CallTally:
    calls: int = 0
    last_success_at: datetime | None = None
    last_error: str = ""
    last_error_at: datetime | None = None
    headroom_percent: int | None = None
    notes: list[str] = field(default_factory=list)

    def success(self) -> None:
        self.calls += 1
        self.last_success_at = clock.now()

    def failure(self, sentence: str) -> None:
        self.calls += 1
        self.last_error, self.last_error_at = sentence[:1000], clock.now()


def describe_status(app: str, status: int) -> str:
    """A provider answer as a sentence for the card (details stay in the run's step log)."""
    if status == 401:
        return f"{app} asked us to sign in again."
    if status == 403:
        return f"{app} refused access to something this connection asked for."
    if status == 429:
        return f"{app} asked us to slow down (rate limit); the step was delayed."
    if status >= 500:
        return f"{app} had a problem on its side (HTTP {status})."
    return f"{app} rejected a request (HTTP {status})."


def flush(tenant_id: uuid.UUID, connection_id: uuid.UUID, tally: CallTally) -> None:
    """Add this step's calls to today's count and keep the latest success/error."""
    if tally.calls == 0 and tally.headroom_percent is None:
        return
    today = clock.now().date().isoformat()
    values: dict[str, object] = {
        "calls_today": case(
            (Connection.calls_day == today, Connection.calls_today + tally.calls),
            else_=tally.calls,
        ),
        "calls_day": today,
    }
    if tally.last_success_at is not None:
        values["last_success_at"] = tally.last_success_at
    if tally.last_error_at is not None:
        values["last_error"] = tally.last_error
        values["last_error_at"] = tally.last_error_at
    if tally.headroom_percent is not None:
        values["headroom_percent"] = tally.headroom_percent
    with tenant_session(tenant_id) as db:
        db.execute(update(Connection).where(Connection.id == connection_id).values(**values))
        db.commit()
