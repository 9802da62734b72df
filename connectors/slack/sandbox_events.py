"""The sandbox workspace's Events API: the signed ``url_verification`` check of a Request URL,
then ``event_callback`` deliveries signed ``X-Slack-Signature: v0=hex(HMAC("v0:ts:body"))``,
and Slack-style retries (same ``event_id``, ``X-Slack-Retry-Num``)."""

from __future__ import annotations

import json
import secrets
from typing import Any

from connectors.sandbox_kit import Clock, Delivery, WebhookSender, encode, hmac_sha256
from connectors.slack.sandbox_store import Workspace


class SlackEvents:
    def __init__(self, workspace: Workspace, clock: Clock, app_id: str) -> None:
        self.workspace, self.clock, self.app_id = workspace, clock, app_id
        self.signing_secret = secrets.token_hex(16)
        self.sender = WebhookSender(
            self.sign, user_agent="Slackbot 1.0 (+https://api.slack.com/robots)"
        )
        self.request_url: str | None = None
        self.pending: list[dict[str, Any]] = []

    def sign(self, secret: str, _url: str, body: bytes) -> dict[str, str]:
        stamp = str(int(self.clock.now()))
        digest = hmac_sha256(secret, f"v0:{stamp}:".encode() + body).hex()
        return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}

    def set_request_url(self, url: str) -> bool:
        """Like saving the Request URL in the app settings: kept only if it echoes the challenge."""
        challenge = secrets.token_urlsafe(24)
        check = {"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": challenge,
                 "type": "url_verification"}  # fmt: skip
        body = encode(check)
        answer = self.sender.post(url, body, self.sign(self.signing_secret, url, body))
        try:
            echoed = json.loads(answer.response_body or b"{}").get("challenge")
        except ValueError:
            echoed = None
        if answer.status == 200 and echoed == challenge:
            self.request_url = url
            return True
        return False

    def user_says(self, channel: str, text: str, user: str = "U0ANN") -> None:
        """A person posts in ``channel``: ``message`` (+ ``app_mention`` if it @s the bot)."""
        ts = f"{self.clock.now():.6f}"
        base = {"user": user, "text": text, "ts": ts, "channel": channel, "event_ts": ts}
        self._queue({"type": "message", "channel_type": "channel", **base})
        if f"<@{self.workspace.bot_user_id}>" in text:
            self._queue({"type": "app_mention", **base})

    def _queue(self, event: dict[str, Any]) -> None:
        self.pending.append({
            "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "team_id": self.workspace.team_id,
            "api_app_id": self.app_id, "event": event, "type": "event_callback",
            "event_id": "Ev" + secrets.token_hex(5).upper(), "event_time": int(self.clock.now()),
            "authorizations": [{"team_id": self.workspace.team_id, "is_bot": True,
                                "user_id": self.workspace.bot_user_id}],
            "is_ext_shared_channel": False,
        })  # fmt: skip

    def deliver(self) -> list[Delivery]:
        if self.request_url is None:
            return []
        pending, self.pending = self.pending, []
        return [self._post(encode(payload)) for payload in pending]

    def _post(self, body: bytes, retry: int = 0) -> Delivery:
        assert self.request_url is not None
        headers = dict(self.sign(self.signing_secret, self.request_url, body))
        if retry:
            headers.update(
                {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            )
        return self.sender.post(self.request_url, body, headers)

    def retry(self, delivery: Delivery, attempt: int = 1) -> Delivery:
        """Slack's retry: the same event (same ``event_id``), freshly signed."""
        return self._post(delivery.body, attempt)
