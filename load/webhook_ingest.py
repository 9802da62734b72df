"""Locust scenario: senders POSTing JSON webhooks as fast as they can.

``TARGET_PATH`` names the path to hit (our ``/hooks/{token}`` or the bare baseline). Run it
through the runner, which starts everything on 127.0.0.1 and prints the figures::

    python -m load.webhook_ingest            # 10, 50 and 100 senders, 10 s each
    python -m load.webhook_ingest --seconds 5 --users 10 50
"""

from __future__ import annotations

import itertools
import json
import os

from locust import FastHttpUser, constant, task

_counter = itertools.count()


class WebhookSender(FastHttpUser):
    wait_time = constant(0)
    path = os.environ.get("TARGET_PATH", "/hooks/unset")

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
