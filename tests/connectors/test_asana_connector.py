"""Asana: OAuth dance, every action and the webhook handshake/signature against the sandbox."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.oauth2.rfc6749.errors import MismatchingStateException

from connectors.asana import connector as production
from connectors.asana.sandbox import AsanaSandbox
from connectors.asana.triggers import event_id
from connectors.sandbox_kit import Client, ManualClock, SandboxServer
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
class Asana:
    sandbox: AsanaSandbox
    connector: Connector
    client: Client
    ctx: Callable[..., ActionContext]

    def run(self, action: str, inputs: dict, **options) -> dict:
        return self.connector.action(action).execute(self.ctx(**options), inputs)

    @property
    def project_gid(self) -> str:
        out = self.run(
            "create_project_from_template",
            {"template_gid": self.sandbox.template["gid"], "name": "Acme onboarding"},
        )
        return out["project_gid"]


@pytest.fixture
def asana(clock: ManualClock, make_ctx) -> Iterator[Asana]:
    sandbox = AsanaSandbox(clock=clock)
    client = sandbox.register_client(["http://127.0.0.1:9/cb"])
    token = sandbox.oauth.issue_token(client, scopes=production.auth.scopes)["access_token"]
    with SandboxServer(sandbox.app) as server:
        connector = sandbox.connector(server.url)

        def ctx(**options) -> ActionContext:
            return make_ctx(connector.base_url, options.pop("token", token), **options)

        yield Asana(sandbox, connector, client, ctx)


# -- OAuth ----------------------------------------------------------------------------------------
def test_production_urls() -> None:
    assert production.auth.authorize_url == "https://app.asana.com/-/oauth_authorize"
    assert production.auth.token_url == "https://app.asana.com/-/oauth_token"
    assert production.base_url == "https://app.asana.com/api/1.0"


def test_oauth_dance_refresh_and_failures(asana: Asana, authorize, clock, redirect_uri) -> None:
    client = asana.sandbox.register_client([redirect_uri])
    consent = authorize(asana.connector, client)
    token = consent.exchange(asana.connector.auth.token_url)
    assert token["expires_in"] == 3600 and token["refresh_token"]
    assert token["data"]["gid"] == asana.sandbox.workspace.user["gid"]
    # Asana's refresh answer has no refresh_token: the old one stays valid (authlib keeps it).
    refreshed = consent.client.refresh_token(asana.connector.auth.token_url, token["refresh_token"])
    assert refreshed["access_token"] != token["access_token"]
    assert refreshed["refresh_token"] == token["refresh_token"]
    with pytest.raises(OAuthError) as caught:
        consent.exchange(asana.connector.auth.token_url)  # the code was already used
    assert caught.value.error == "invalid_grant"

    denied = authorize(asana.connector, client, consent="deny")
    assert parse_qs(urlsplit(denied.location).query)["error"] == ["access_denied"]
    stale = authorize(asana.connector, client)
    with pytest.raises(MismatchingStateException):
        stale.exchange(asana.connector.auth.token_url, state="forged")
    clock.advance(601)
    with pytest.raises(OAuthError) as caught:
        stale.exchange(asana.connector.auth.token_url)
    assert caught.value.error == "invalid_grant"


def test_revocation_ends_access(asana: Asana, authorize, redirect_uri: str) -> None:
    client = asana.sandbox.register_client([redirect_uri])
    consent = authorize(asana.connector, client)
    token = consent.exchange(asana.connector.auth.token_url)
    consent.client.revoke_token(asana.connector.auth.revoke_url, token["refresh_token"])
    with pytest.raises(AuthError):
        asana.run("complete_task", {"task_gid": "1"}, token=token["access_token"])


# -- actions --------------------------------------------------------------------------------------
def test_project_from_template_runs_the_job(asana: Asana) -> None:
    out = asana.run(
        "create_project_from_template",
        {
            "template_gid": asana.sandbox.template["gid"],
            "name": "Acme onboarding",
            "requested_dates": [{"gid": "1", "value": "2024-05-01"}],
        },
    )
    assert out["status"] == "succeeded" and out["project_name"] == "Acme onboarding"
    project = asana.sandbox.workspace.get("project", out["project_gid"])
    tasks = [o for o in asana.sandbox.workspace.objects.values() if o["resource_type"] == "task"]
    assert project["name"] == "Acme onboarding"
    assert sorted(t["name"] for t in tasks) == ["Collect assets", "Kick-off call", "Launch"]


def test_unknown_template_is_not_found_and_bad_date_variable_is_invalid(asana: Asana) -> None:
    with pytest.raises(NotFoundError) as caught:
        asana.run("create_project_from_template", {"template_gid": "42", "name": "X"})
    assert "Unknown object" in caught.value.message
    with pytest.raises(InvalidInputError):
        asana.run(
            "create_project_from_template",
            {
                "template_gid": asana.sandbox.template["gid"],
                "name": "X",
                "requested_dates": [{"gid": "9", "value": "2024-05-01"}],
            },
        )


def test_create_and_complete_task(asana: Asana) -> None:
    project = asana.project_gid
    task = asana.run(
        "create_task",
        {"name": "Send contract", "project_gid": project, "due_on": "2024-05-03", "assignee": "me"},
        key="step-task-1",
    )
    assert task["project_gids"] == [project] and task["completed"] is False
    done = asana.run("complete_task", {"task_gid": task["gid"]})
    assert done["completed"] is True and done["completed_at"]
    assert asana.sandbox.workspace.get("task", task["gid"])["completed"] is True


def test_retried_create_task_returns_the_first_task(asana: Asana) -> None:
    project = asana.project_gid
    first = asana.run("create_task", {"name": "Call", "project_gid": project}, key="step-9")
    again = asana.run("create_task", {"name": "Call", "project_gid": project}, key="step-9")
    other = asana.run("create_task", {"name": "Call", "project_gid": project}, key="step-10")
    assert again["gid"] == first["gid"] != other["gid"]
    calls = [o for o in asana.sandbox.workspace.objects.values() if o.get("name") == "Call"]
    assert len(calls) == 2


def test_task_errors(asana: Asana) -> None:
    with pytest.raises(InvalidInputError):
        asana.run("create_task", {"name": "Orphan"})
    with pytest.raises(NotFoundError):
        asana.run("create_task", {"name": "X", "project_gid": "123"}, key="k-404")
    with pytest.raises(NotFoundError):
        asana.run("complete_task", {"task_gid": "123"})


def test_expired_token_and_missing_scope(asana: Asana) -> None:
    narrow = asana.sandbox.oauth.issue_token(asana.client, scopes=("tasks:read",))
    with pytest.raises(AuthError) as caught:
        asana.run("complete_task", {"task_gid": "1"}, token=narrow["access_token"])
    assert caught.value.details["status"] == 403
    asana.sandbox.oauth.expire_access_tokens()
    with pytest.raises(AuthError) as caught:
        asana.run("complete_task", {"task_gid": "1"})
    assert caught.value.message.startswith("Asana asked us to sign in again")


def test_minute_limit_429_with_retry_after(clock: ManualClock, make_ctx) -> None:
    sandbox = AsanaSandbox(clock=clock, minute_limit=2)
    client = sandbox.register_client(["http://127.0.0.1:9/cb"])
    token = sandbox.oauth.issue_token(client, scopes=production.auth.scopes)["access_token"]
    with SandboxServer(sandbox.app) as server:
        ctx = make_ctx(sandbox.connector(server.url).base_url, token)
        complete = production.action("complete_task")
        for _ in range(2):
            with pytest.raises(NotFoundError):
                complete.execute(ctx, {"task_gid": "1"})
        with pytest.raises(RateLimitedError) as caught:
            complete.execute(ctx, {"task_gid": "1"})
        assert caught.value.retry_after == 40
        assert "be chill" in caught.value.details["provider_message"]


# -- webhooks -------------------------------------------------------------------------------------
def test_subscribe_performs_the_handshake_then_events_verify(asana: Asana, receiver) -> None:
    hooks, url = receiver
    project = asana.project_gid
    trigger = production.trigger("task_event")
    info = trigger.subscribe(asana.ctx(settings={"asana_resource_gid": project}), url)
    (secret,) = hooks.handshake_secrets
    assert hooks.received[0].body == b"" and info["resource_gid"] == project
    hooks.verify_with("asana", secret)

    task = asana.run("create_task", {"name": "Review", "project_gid": project}, key="t1")
    asana.run("complete_task", {"task_gid": task["gid"]})
    (delivery,) = asana.sandbox.deliver_events()
    assert delivery.status == 200
    events = json.loads(delivery.body)["events"]
    assert [(e["action"], e["resource"]["gid"]) for e in events] == [
        ("added", task["gid"]),
        ("changed", task["gid"]),
    ]
    assert events[1]["change"]["field"] == "completed"
    got = hooks.received[-1]
    assert verify("asana", secret, got.headers, got.body)
    assert not verify("asana", secret, got.headers, got.body.replace(b"changed", b"removed"))
    assert event_id(json.loads(got.body), got.headers) == event_id(json.loads(delivery.body), {})
    assert event_id({"events": []}, {}) is None

    trigger.unsubscribe(asana.ctx(), info)
    asana.run("create_task", {"name": "After", "project_gid": project}, key="t2")
    assert asana.sandbox.deliver_events() == []


def test_webhook_creation_fails_when_the_target_does_not_echo(asana: Asana) -> None:
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def rude(_request):
        return Response(status_code=200)

    with SandboxServer(Starlette(routes=[Route("/h", rude, methods=["POST"])])) as target:
        trigger = production.trigger("task_event")
        ctx = asana.ctx(settings={"asana_resource_gid": asana.project_gid})
        with pytest.raises(InvalidInputError) as caught:
            trigger.subscribe(ctx, f"{target.url}/h")
    assert "handshake" in caught.value.message
    assert asana.sandbox.sender.subscriptions() == []


def test_subscribe_needs_a_resource(asana: Asana, receiver) -> None:
    _hooks, url = receiver
    with pytest.raises(InvalidInputError):
        production.trigger("task_event").subscribe(asana.ctx(), url)
