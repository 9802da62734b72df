"""Outbound Standard Webhooks signing: format, round trip, and secret-rotation overlap."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

import pytest

from flowyard.webhooks import verify
from flowyard.webhooks.signing import build_headers, generate_secret, sign, signature_header

NOW = 1_700_000_000
BODY = b'{"type":"invoice.paid","data":{"id":"inv_1","total":"12.50"}}'


def test_generate_secret_format() -> None:
    secret = generate_secret()
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]+=*", secret)
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert len(base64.b64decode(generate_secret(24).removeprefix("whsec_"))) == 24
    assert generate_secret() != generate_secret()
    with pytest.raises(ValueError):
        generate_secret(8)


def test_sign_matches_independent_hmac() -> None:
    secret = generate_secret()
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"msg_1.{NOW}.".encode() + BODY, hashlib.sha256).digest()
    assert sign(secret, "msg_1", NOW, BODY) == "v1," + base64.b64encode(digest).decode()
    assert sign(secret, "msg_1", NOW, BODY.decode()) == sign(secret, "msg_1", NOW, BODY)


def test_sign_matches_published_vector() -> None:
    # Standard Webhooks spec test vector (libraries/python/tests/test_webhooks.py).
    sig = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        '{"test": 2432232314}',
    )
    assert sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_reference_library_accepts_our_signature() -> None:
    sw = pytest.importorskip("standardwebhooks")
    secret = generate_secret()
    headers = build_headers([secret], "msg_ref", BODY)  # real clock: the library has no pin
    assert sw.Webhook(secret).verify(BODY, headers) == {
        "type": "invoice.paid",
        "data": {"id": "inv_1", "total": "12.50"},
    }


def test_round_trip() -> None:
    secret = generate_secret()
    headers = build_headers([secret], "msg_2", BODY, now=NOW)
    assert headers["webhook-id"] == "msg_2"
    assert headers["webhook-timestamp"] == str(NOW)
    assert verify("standard-webhooks", secret, headers, BODY, now=NOW)
    assert not verify("standard-webhooks", secret, headers, BODY + b" ", now=NOW)
    assert not verify("standard-webhooks", secret, headers, BODY, now=NOW + 301)


def test_rotation_sends_both_and_either_secret_verifies() -> None:
    old, new = generate_secret(), generate_secret()
    headers = build_headers([old, new], "msg_3", BODY, now=NOW)
    parts = headers["webhook-signature"].split(" ")
    assert parts == [sign(old, "msg_3", NOW, BODY), sign(new, "msg_3", NOW, BODY)]
    assert verify("standard-webhooks", old, headers, BODY, now=NOW)
    assert verify("standard-webhooks", new, headers, BODY, now=NOW)
    assert not verify("standard-webhooks", generate_secret(), headers, BODY, now=NOW)


def test_signature_header_rejects_empty_or_bare_string() -> None:
    with pytest.raises(ValueError):
        signature_header([], "msg", NOW, BODY)
    with pytest.raises(ValueError):
        signature_header(generate_secret(), "msg", NOW, BODY)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        sign("whsec_!!!", "msg", NOW, BODY)
