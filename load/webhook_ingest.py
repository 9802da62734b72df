"""Locust scenario: senders POSTing JSON webhooks, as fast as replies come back or paced.

``TARGET_PATH`` names the path to hit (our ``/hooks/{token}`` or the bare baseline).
``SENDER_RATE`` (webhooks per second per sender) paces each sender the way providers send,
when events happen: at random moments (a Poisson process), so that together the senders
offer the total rate without moving in step; unset, each sender sends its next webhook as
soon as the last is answered.
Every answer is recorded exactly (status and milliseconds) into ``RESULT_DIR``, one file per
Locust process, which the runner merges. Run it through the runner, which starts everything on
127.0.0.1 and prints the figures::

    python -m load.webhook_ingest            # 10, 50 and 100 senders, then paced senders
    python -m load.webhook_ingest --seconds 5 --users 10 50 --paced 100:1000
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, constant, events, task

_counter = itertools.count()
_RATE = float(os.environ.get("SENDER_RATE") or 0)


class _Record:
    """Each answer of this process: status counts and response times, first and last moment."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.statuses: dict[int, int] = {}
        self.first = self.last = 0.0

    def add(self, status: int, milliseconds: float) -> None:
        now = time.time()
        if not self.first:
            self.first = now - milliseconds / 1000
        self.last = now
        self.times.append(milliseconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def save(self, directory: str) -> None:
        if not self.times:
            return
        out = {"times": self.times, "statuses": self.statuses, "first": self.first,
               "last": self.last}  # fmt: skip
        Path(directory, f"{os.getpid()}.json").write_text(json.dumps(out))


_record = _Record()


@events.request.add_listener
def _on_request(response_time: float, response: Any = None, **_kwargs: Any) -> None:
    _record.add(getattr(response, "status_code", 0) or 0, response_time)


@events.quitting.add_listener
def _on_quitting(**_kwargs: Any) -> None:
    directory = os.environ.get("RESULT_DIR")
    if directory:
        _record.save(directory)


def _poisson(user: WebhookSender) -> float:
    """Seconds until this sender's next event: exponential gaps on a schedule of its own.

    Why not Locust's ``constant_throughput``: senders started together stay in step, so a
    hundred of them send within the same millisecond every interval and each burst queues —
    measured on the bare endpoint, 100 such senders offering 200/s: p50 30 ms, where 10
    senders offering the same 200/s see 3.7 ms. Real providers' events do not coincide.
    A sender answered later than its next moment sends at once (it falls behind, and the
    accepted rate shows it)."""
    user.next_at += random.expovariate(_RATE)
    return max(0.0, user.next_at - time.monotonic())


class WebhookSender(FastHttpUser):
    wait_time = _poisson if _RATE else constant(0)
    path = os.environ.get("TARGET_PATH", "/hooks/unset")

    def on_start(self) -> None:
        self.next_at = time.monotonic()
        if _RATE:  # the first event too comes at a random moment, not with everyone's
            gevent.sleep(_poisson(self))

    @task
    def send(self) -> None:
        n = next(_counter)
        body = json.dumps({"order_id": n, "total": 12.5, "customer": {"name": "Rosa", "n": n}})
        with self.client.post(
            self.path,
            data=body,
            headers={"Content-Type": "application/json"},
            name="webhook",
            catch_response=True,
        ) as response:
            if response.status_code != 202:
                response.failure(f"status {response.status_code}")


if __name__ == "__main__":
    from load.ingest_runner import main

    raise SystemExit(main())
