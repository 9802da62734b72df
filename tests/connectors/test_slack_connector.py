"""Slack: post and DM against the sandbox (Slack's ok:false errors classified, 429s), and the
Events API: URL verification, signed events, retries with the same event id."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.sandbox_kit import ManualClock, SandboxServer
from connectors.slack import connector as production
from connectors.slack.sandbox import SlackSandbox
from connectors.slack.triggers import challenge_response, event_id, event_type
from flowyard.webhooks import verify
from marketplace.sdk import (
    ActionContext,
    AuthError,
    Connector,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
)


@dataclass
class Slack:
    sandbox: SlackSandbox
    connector: Connector
    client_id: str
    ctx: Callable[..., ActionContext]
    clock: ManualClock

    def run(self, action: str, inputs: dict, **options) -> dict:
        self.clock.advance(1)  # Slack allows about one post a second per channel
        return self.connector.action(action).execute(self.ctx(**options), inputs)

    def token(self, *scopes: str) -> str:
        client = self.sandbox.oauth.client(self.client_id)
        return self.sandbox.oauth.issue_token(client, scopes=scopes)["access_token"]


@pytest.fixture
def slack(clock: ManualClock, make_ctx) -> Iterator[Slack]:
    sandbox = SlackSandbox(clock=clock)
    client = sandbox.register_client(["http://127.0.0.1:9/cb"])
    token = sandbox.oauth.issue_token(client, scopes=production.auth.scopes)["access_token"]
    with SandboxServer(sandbox.app) as server:
        connector = sandbox.connector(server.url)

        def ctx(**options) -> ActionContext:
            return make_ctx(connector.base_url, options.pop("token", token), **options)

        yield Slack(sandbox, connector, client.client_id, ctx, clock)


def test_declaration() -> None:
    limits = {r.name: (r.limit, r.window_seconds) for r in production.rate_limits}
    assert limits == {"post_message": (1, 1), "tier3_minute": (50, 60)}
    (trigger,) = production.triggers
    assert trigger.scheme == "slack" and trigger.event_id is event_id


# -- actions --------------------------------------------------------------------------------------
def test_post_message_by_name_and_id_and_in_a_thread(slack: Slack) -> None:
    general = slack.sandbox.workspace.channel_id("general")
    first = slack.run("post_message", {"channel": "#general", "text": "Order #1001 paid"})
    assert first["channel"] == general and first["text"] == "Order #1001 paid"
    reply = slack.run(
        "post_message", {"channel": general, "text": "Shipped", "thread_ts": first["ts"]}
    )
    stored = slack.sandbox.workspace.messages[general]
    assert [m["text"] for m in stored] == ["Order #1001 paid", "Shipped"]
    assert stored[1]["thread_ts"] == first["ts"] and reply["ts"] != first["ts"]


def test_public_channel_without_membership_needs_chat_write_public(slack: Slack) -> None:
    assert slack.run("post_message", {"channel": "#random", "text": "hi"})["channel"]
    narrow = slack.token("chat:write")
    with pytest.raises(InvalidInputError) as caught:
        slack.run("post_message", {"channel": "#random", "text": "hi"}, token=narrow)
    assert caught.value.details["provider_message"] == "not_in_channel"


def test_send_direct_message(slack: Slack) -> None:
    sent = slack.run("send_direct_message", {"user_id": "U0BEN", "text": "Your invoice is out"})
    assert sent["channel"] == "D0BEN"
    assert slack.sandbox.workspace.messages["D0BEN"][0]["text"] == "Your invoice is out"
    with pytest.raises(NotFoundError) as caught:
        slack.run("send_direct_message", {"user_id": "U0NOBODY", "text": "hi"})
    assert "user_not_found" in caught.value.message


def test_slack_errors_are_classified(slack: Slack) -> None:
    with pytest.raises(NotFoundError) as caught:
        slack.run("post_message", {"channel": "#nope", "text": "hi"})
    assert caught.value.details["provider_message"] == "channel_not_found"
    with pytest.raises(NotFoundError):  # private and the bot isn't in it: Slack hides it
        slack.run("post_message", {"channel": "#secret-plans", "text": "hi"})
    with pytest.raises(AuthError) as caught:
        slack.run("post_message", {"channel": "#general", "text": "hi"}, token="xoxb-wrong")
    assert caught.value.details["status"] == 401
    assert caught.value.details["provider_message"] == "invalid_auth"
    with pytest.raises(AuthError) as caught:
        slack.run("send_direct_message", {"user_id": "U0BEN", "text": "hi"},
                  token=slack.token("chat:write"))  # fmt: skip
    assert caught.value.details["status"] == 403
    assert caught.value.details["provider_message"] == "missing_scope (needs im:write)"


def test_revoked_token_asks_for_reconnect(slack: Slack) -> None:
    slack.sandbox.oauth.revoke_grant()
    with pytest.raises(AuthError) as caught:
        slack.run("post_message", {"channel": "#general", "text": "hi"})
    assert caught.value.details["provider_message"] == "token_revoked"
    assert "Reconnect Slack" in caught.value.message


def test_one_post_per_second_per_channel(slack: Slack) -> None:
    post = production.action("post_message")
    ctx = slack.ctx()
    post.execute(ctx, {"channel": "#general", "text": "one"})
    with pytest.raises(RateLimitedError) as caught:
        post.execute(ctx, {"channel": "#general", "text": "two"})
    assert caught.value.retry_after == 1
    assert caught.value.details["provider_message"] == "ratelimited"
    post.execute(ctx, {"channel": "#random", "text": "other channel is fine"})
    slack.clock.advance(1)
    post.execute(ctx, {"channel": "#general", "text": "two"})


def test_tier3_limit_on_conversations_open(clock: ManualClock, make_ctx) -> None:
    sandbox = SlackSandbox(clock=clock, tier3_per_minute=2)
    client = sandbox.register_client(["http://127.0.0.1:9/cb"])
    token = sandbox.oauth.issue_token(client, scopes=production.auth.scopes)["access_token"]
    with SandboxServer(sandbox.app) as server:
        ctx = make_ctx(sandbox.connector(server.url).base_url, token)
        dm = production.action("send_direct_message")
        for _ in range(2):
            clock.advance(1)
            dm.execute(ctx, {"user_id": "U0ANN", "text": "hi"})
        with pytest.raises(RateLimitedError) as caught:
            dm.execute(ctx, {"user_id": "U0ANN", "text": "hi"})
        assert caught.value.retry_after == 60 - clock.now() % 60  # until the minute window ends


# -- Events API -----------------------------------------------------------------------------------
class Ingress:
    """Like ours: verify the signature, then answer Slack's URL check with the challenge."""

    def __init__(self, secret: str, now: Callable[[], float]) -> None:
        self.secret, self.now, self.received = secret, now, []
        self.app = Starlette(routes=[Route("/hooks/slack", self.handle, methods=["POST"])])

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        ok = verify("slack", self.secret, dict(request.headers), body, now=self.now())
        self.received.append((dict(request.headers), body, ok))
        if not ok:
            return Response(status_code=401)
        return JSONResponse(challenge_response(body) or {"ok": True})


def test_url_verification_then_signed_events(slack: Slack, clock: ManualClock) -> None:
    ingress = Ingress(slack.sandbox.events.signing_secret, clock.now)
    with SandboxServer(ingress.app) as server:
        url = f"{server.url}/hooks/slack"
        assert slack.sandbox.deliver_events() == []  # no Request URL yet
        assert slack.sandbox.events.set_request_url(url) is True
        slack.sandbox.events.user_says("C00000001", "Hey <@U0BOT>, any new orders?")
        deliveries = slack.sandbox.deliver_events()
        assert [d.status for d in deliveries] == [200, 200]
        payloads = [json.loads(d.body) for d in deliveries]
        assert [event_type(p) for p in payloads] == ["message", "app_mention"]
        headers, body, ok = ingress.received[-1]
        assert ok and verify("slack", ingress.secret, headers, body, now=clock.now())
        assert not verify("slack", ingress.secret, headers, body.replace(b"orders", b"refunds"),
                          now=clock.now())  # fmt: skip
        assert not verify("slack", ingress.secret, headers, body, now=clock.now() + 301)

        retried = slack.sandbox.events.retry(deliveries[1])
        assert retried.status == 200 and retried.headers["X-Slack-Retry-Num"] == "1"
        assert event_id(json.loads(retried.body), retried.headers) == event_id(payloads[1], {})
        assert event_id(payloads[0], {}) != event_id(payloads[1], {})


def test_url_check_fails_against_a_wrong_secret(slack: Slack, clock: ManualClock) -> None:
    ingress = Ingress("not-the-signing-secret", clock.now)
    with SandboxServer(ingress.app) as server:
        assert slack.sandbox.events.set_request_url(f"{server.url}/hooks/slack") is False
    assert ingress.received[0][2] is False


def test_challenge_response_helper() -> None:
    check = {"token": "t", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
             "type": "url_verification"}  # fmt: skip
    expected = {"challenge": check["challenge"]}
    assert challenge_response(check) == expected
    assert challenge_response(json.dumps(check).encode()) == expected
    assert challenge_response(json.dumps(check)) == expected
    assert challenge_response({"type": "event_callback", "event_id": "Ev1"}) is None
    assert challenge_response(b"not json") is None
    assert event_id({"type": "url_verification"}, {}) is None
