"""Each provider scheme through the served ingress: valid, tampered, stale, missing."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from sqlmodel import select
from webhooks_io.conftest import set_verification, webhook_workflow
from webhooks_io.signers import SCHEMES, body_for


def _params(rows: list[tuple]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize(
        ("scheme", "secret", "signer", "_timed"), rows, ids=[r[0].split("?")[0] for r in rows]
    )


ALL = _params(SCHEMES)
TIMED = _params([s for s in SCHEMES if s[3]])
UNTIMED = _params([s for s in SCHEMES if not s[3]])


def _events(tenant_id: uuid.UUID) -> list:
    from flowyard.db import tenant_session
    from flowyard.webhooks.models import InboundEvent

    with tenant_session(tenant_id) as db:
        return list(db.exec(select(InboundEvent)).all())


def _executions(tenant_id: uuid.UUID) -> list:
    from flowyard.db import tenant_session
    from flowyard.engine.models import Execution

    with tenant_session(tenant_id) as db:
        return list(db.exec(select(Execution)).all())


def _post(base: str, endpoint, body: bytes, headers: dict[str, str]) -> httpx.Response:
    headers = {"Content-Type": "application/json", **headers}
    return httpx.post(f"{base}/hooks/{endpoint.token}", content=body, headers=headers)


@pytest.fixture
def setup(tenant, hooks_url):  # type: ignore[no-untyped-def]
    def make(scheme: str, secret: str):  # type: ignore[no-untyped-def]
        _workflow, endpoint = webhook_workflow(tenant)
        if scheme == "asana":
            set_verification(tenant, endpoint, "asana", None)
            # Asana's handshake delivers the secret first.
            answer = httpx.post(
                f"{hooks_url}/hooks/{endpoint.token}", headers={"X-Hook-Secret": secret}
            )
            assert answer.status_code == 200
            assert answer.headers["X-Hook-Secret"] == secret
        else:
            set_verification(tenant, endpoint, scheme, secret)
        return endpoint

    return make


@ALL
def test_valid_signature_is_stored_and_started(
    setup, tenant, hooks_url, scheme, secret, signer, _timed
):
    endpoint = setup(scheme, secret)
    body = body_for(scheme)
    path = f"/hooks/{endpoint.token}"
    answer = _post(hooks_url, endpoint, body, signer(body, int(time.time()), path))
    assert answer.status_code == 202, answer.text
    event_id = answer.json()["event_id"]
    stored = {str(e.id): e for e in _events(tenant)}
    assert stored[event_id].status == "started"
    assert stored[event_id].verified is True
    assert stored[event_id].body == body
    runs = _executions(tenant)
    assert [r.id for r in runs] == [stored[event_id].execution_id]
    assert runs[0].trigger_payload["body"] == __import__("json").loads(body)


@ALL
def test_tampered_body_is_refused(setup, tenant, hooks_url, scheme, secret, signer, _timed):
    endpoint = setup(scheme, secret)
    body = body_for(scheme)
    headers = signer(body, int(time.time()), f"/hooks/{endpoint.token}")
    answer = _post(hooks_url, endpoint, body.replace(b"1", b"2"), headers)
    assert answer.status_code == 401
    assert "signature" in answer.json()["error"]
    assert _executions(tenant) == []
    assert [e.status for e in _events(tenant) if e.status != "handshake"] == ["rejected"]


@ALL
def test_missing_signature_is_refused(setup, tenant, hooks_url, scheme, secret, signer, _timed):
    endpoint = setup(scheme, secret)
    answer = _post(hooks_url, endpoint, body_for(scheme), {})
    assert answer.status_code == 401
    assert _executions(tenant) == []


@TIMED
def test_stale_timestamp_is_refused(setup, tenant, hooks_url, scheme, secret, signer, _timed):
    endpoint = setup(scheme, secret)
    body = body_for(scheme)
    stale = int(time.time()) - 3600
    answer = _post(hooks_url, endpoint, body, signer(body, stale, f"/hooks/{endpoint.token}"))
    assert answer.status_code == 401
    assert _executions(tenant) == []


@UNTIMED
def test_replayed_untimed_request_starts_nothing_twice(
    setup, tenant, hooks_url, scheme, secret, signer, _timed
):
    """Schemes without a timestamp: a captured request sent again is a duplicate."""
    endpoint = setup(scheme, secret)
    body = body_for(scheme)
    headers = signer(body, int(time.time()), f"/hooks/{endpoint.token}")
    if scheme.startswith("hmac") or scheme == "shopify":
        headers["Idempotency-Key"] = "delivery-1"
    first = _post(hooks_url, endpoint, body, headers)
    second = _post(hooks_url, endpoint, body, headers)
    assert first.status_code == second.status_code == 202
    assert second.json() == {"event_id": first.json()["event_id"], "duplicate": True}
    assert len(_executions(tenant)) == 1
