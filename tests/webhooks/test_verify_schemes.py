"""Per-scheme behaviour: valid, tampered body, stale timestamp, missing signature, edge cases.

Signatures here are computed independently of the code under test (hashlib/hmac directly, and
the ``standardwebhooks`` reference package when installed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from flowyard.webhooks import asana_handshake, verify, verify_hmac

NOW = 1_700_000_000
BODY = b'{"event":"order.paid","id":42,"name":"Cr\xc3\xa8me"}'
TAMPERED = BODY.replace(b"42", b"43")
SECRET = "s3cr3t-key"


def _hmac(key: bytes, msg: bytes, alg: str = "sha256") -> bytes:
    return hmac.new(key, msg, getattr(hashlib, alg)).digest()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


# --- per-provider signers: (scheme, secret, build_headers(body, ts) -> headers, extra kwargs)

SW_KEY = b"0123456789abcdef0123456789abcdef"
SW_SECRET = "whsec_" + _b64(SW_KEY)


def sw_headers(body: bytes, ts: int) -> dict[str, str]:
    sig = _b64(_hmac(SW_KEY, f"msg_1.{ts}.".encode() + body))
    return {"webhook-id": "msg_1", "webhook-timestamp": str(ts), "webhook-signature": f"v1,{sig}"}


def stripe_headers(body: bytes, ts: int) -> dict[str, str]:
    sig = _hmac(SECRET.encode(), f"{ts}.".encode() + body).hex()
    return {"Stripe-Signature": f"t={ts},v1={sig}"}


def slack_headers(body: bytes, ts: int) -> dict[str, str]:
    sig = _hmac(SECRET.encode(), f"v0:{ts}:".encode() + body).hex()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={sig}"}


HUB_METHOD, HUB_URI = "POST", "https://hooks.example.com/w/abc?x=1"


def hubspot_headers(body: bytes, ts: int) -> dict[str, str]:
    millis = str(ts * 1000)
    content = f"{HUB_METHOD}{HUB_URI}".encode() + body + millis.encode()
    return {
        "X-HubSpot-Signature-v3": _b64(_hmac(SECRET.encode(), content)),
        "X-HubSpot-Request-Timestamp": millis,
    }


def convoy_headers(body: bytes, ts: int) -> dict[str, str]:
    return {
        "X-Convoy-Signature": f"t={ts},v1={_hmac(SECRET.encode(), f'{ts},'.encode() + body).hex()}"
    }


def shopify_headers(body: bytes, ts: int) -> dict[str, str]:
    return {"X-Shopify-Hmac-Sha256": _b64(_hmac(SECRET.encode(), body))}


def xero_headers(body: bytes, ts: int) -> dict[str, str]:
    return {"x-xero-signature": _b64(_hmac(SECRET.encode(), body))}


def asana_headers(body: bytes, ts: int) -> dict[str, str]:
    return {"X-Hook-Signature": _hmac(SECRET.encode(), body).hex()}


def generic_headers(body: bytes, ts: int) -> dict[str, str]:
    return {"X-Signature": _hmac(SECRET.encode(), body).hex()}


Signer = Callable[[bytes, int], dict[str, str]]
TIMESTAMPED: list[tuple[str, str, Signer]] = [
    ("standard-webhooks", SW_SECRET, sw_headers),
    ("stripe", SECRET, stripe_headers),
    ("slack", SECRET, slack_headers),
    ("hubspot-v3", SECRET, hubspot_headers),
    ("convoy", SECRET, convoy_headers),
]
UNTIMED: list[tuple[str, str, Signer]] = [
    ("shopify", SECRET, shopify_headers),
    ("xero", SECRET, xero_headers),
    ("asana", SECRET, asana_headers),
    ("hmac", SECRET, generic_headers),
]
ALL = TIMESTAMPED + UNTIMED
IDS = [case[0] for case in ALL]
REQ = {"method": HUB_METHOD, "uri": HUB_URI}


@pytest.mark.parametrize(("scheme", "secret", "signer"), ALL, ids=IDS)
def test_valid_signature_passes(scheme: str, secret: str, signer: Signer) -> None:
    assert verify(scheme, secret, signer(BODY, NOW), BODY, now=NOW, **REQ) is True


@pytest.mark.parametrize(("scheme", "secret", "signer"), ALL, ids=IDS)
def test_tampered_body_fails(scheme: str, secret: str, signer: Signer) -> None:
    assert verify(scheme, secret, signer(BODY, NOW), TAMPERED, now=NOW, **REQ) is False


@pytest.mark.parametrize(("scheme", "secret", "signer"), ALL, ids=IDS)
def test_wrong_secret_fails(scheme: str, secret: str, signer: Signer) -> None:
    other = "whsec_" + _b64(b"x" * 32) if scheme == "standard-webhooks" else "other"
    assert verify(scheme, other, signer(BODY, NOW), BODY, now=NOW, **REQ) is False


@pytest.mark.parametrize(("scheme", "secret", "signer"), ALL, ids=IDS)
def test_missing_signature_fails(scheme: str, secret: str, signer: Signer) -> None:
    assert verify(scheme, secret, {}, BODY, now=NOW, **REQ) is False
    for dropped in signer(BODY, NOW):
        headers = {k: v for k, v in signer(BODY, NOW).items() if k != dropped}
        assert verify(scheme, secret, headers, BODY, now=NOW, **REQ) is False


@pytest.mark.parametrize(("scheme", "secret", "signer"), ALL, ids=IDS)
def test_headers_are_case_insensitive(scheme: str, secret: str, signer: Signer) -> None:
    upper = {k.upper(): v for k, v in signer(BODY, NOW).items()}
    assert verify(scheme, secret, upper, BODY, now=NOW, **REQ) is True


@pytest.mark.parametrize(("scheme", "secret", "signer"), ALL, ids=IDS)
def test_str_body_is_utf8_of_raw_bytes(scheme: str, secret: str, signer: Signer) -> None:
    assert verify(scheme, secret, signer(BODY, NOW), BODY.decode(), now=NOW, **REQ) is True


@pytest.mark.parametrize(
    ("scheme", "secret", "signer"), TIMESTAMPED, ids=[c[0] for c in TIMESTAMPED]
)
@pytest.mark.parametrize("skew", [301, -301, 86_400])
def test_stale_or_future_timestamp_fails(
    scheme: str, secret: str, signer: Signer, skew: int
) -> None:
    headers = signer(BODY, NOW - skew)  # correctly signed, but outside the 5-minute window
    assert verify(scheme, secret, headers, BODY, now=NOW, **REQ) is False


@pytest.mark.parametrize(
    ("scheme", "secret", "signer"), TIMESTAMPED, ids=[c[0] for c in TIMESTAMPED]
)
def test_timestamp_inside_window_passes(scheme: str, secret: str, signer: Signer) -> None:
    assert verify(scheme, secret, signer(BODY, NOW - 299), BODY, now=NOW, **REQ) is True
    assert verify(scheme, secret, signer(BODY, NOW + 299), BODY, now=NOW, **REQ) is True


@pytest.mark.parametrize(
    ("scheme", "secret", "signer"), TIMESTAMPED, ids=[c[0] for c in TIMESTAMPED]
)
def test_tolerance_option_widens_window(scheme: str, secret: str, signer: Signer) -> None:
    headers = signer(BODY, NOW - 500)
    assert verify(scheme, secret, headers, BODY, now=NOW, **REQ) is False
    assert verify(f"{scheme}?tolerance=600", secret, headers, BODY, now=NOW, **REQ) is True


@pytest.mark.parametrize(("scheme", "secret", "signer"), ALL, ids=IDS)
@pytest.mark.parametrize(
    "junk",
    ["", " ", "v1,", "t=,v1=", "\x00", "ü" * 50, "=" * 9, "t=\uff11\uff12,v1=ab", "v1a,AAAA"],
)
def test_garbage_headers_never_raise(scheme: str, secret: str, signer: Signer, junk: str) -> None:
    headers = {k: junk for k in signer(BODY, NOW)}
    assert verify(scheme, secret, headers, BODY, now=NOW, **REQ) is False


# --- Standard Webhooks specifics


def test_standard_webhooks_matches_reference_library() -> None:
    sw = pytest.importorskip("standardwebhooks")
    from datetime import UTC, datetime

    secret = "whsec_" + _b64(b"k" * 24)
    sig = sw.Webhook(secret).sign("msg_ref", datetime.fromtimestamp(NOW, tz=UTC), BODY.decode())
    headers = {"webhook-id": "msg_ref", "webhook-timestamp": str(NOW), "webhook-signature": sig}
    assert verify("standard-webhooks", secret, headers, BODY, now=NOW)
    assert verify("standard-webhooks", secret.removeprefix("whsec_"), headers, BODY, now=NOW)
    assert verify("standard-webhooks", b"k" * 24, headers, BODY, now=NOW)  # raw key bytes


def test_standard_webhooks_svix_header_aliases() -> None:
    headers = {k.replace("webhook-", "svix-"): v for k, v in sw_headers(BODY, NOW).items()}
    assert verify("standard-webhooks", SW_SECRET, headers, BODY, now=NOW)


def test_standard_webhooks_skips_unknown_versions_and_accepts_any_v1() -> None:
    good = sw_headers(BODY, NOW)["webhook-signature"]
    junk = "v1," + _b64(b"\x00" * 32)
    headers = sw_headers(BODY, NOW) | {"webhook-signature": f"v2,{good[3:]} {junk} {good}"}
    assert verify("standard-webhooks", SW_SECRET, headers, BODY, now=NOW)
    headers["webhook-signature"] = f"v2,{good[3:]} {junk}"
    assert not verify("standard-webhooks", SW_SECRET, headers, BODY, now=NOW)


def test_standard_webhooks_rejects_non_numeric_timestamp() -> None:
    headers = sw_headers(BODY, NOW) | {"webhook-timestamp": f"{NOW}.0"}
    assert not verify("standard-webhooks", SW_SECRET, headers, BODY, now=NOW)


def test_standard_webhooks_bad_secret_is_false_not_error() -> None:
    assert not verify("standard-webhooks", "whsec_***", sw_headers(BODY, NOW), BODY, now=NOW)


def _ed25519_headers(private: Ed25519PrivateKey, body: bytes, ts: int) -> dict[str, str]:
    sig = _b64(private.sign(f"msg_1.{ts}.".encode() + body))
    return {"webhook-id": "msg_1", "webhook-timestamp": str(ts), "webhook-signature": f"v1a,{sig}"}


def test_standard_webhooks_v1a_ed25519_with_public_key() -> None:
    private = Ed25519PrivateKey.generate()
    public = "whpk_" + _b64(private.public_key().public_bytes_raw())
    headers = _ed25519_headers(private, BODY, NOW)
    assert verify("standard-webhooks", public, headers, BODY, now=NOW)
    assert not verify("standard-webhooks", public, headers, TAMPERED, now=NOW)
    assert not verify(
        "standard-webhooks", public, _ed25519_headers(private, BODY, NOW - 400), BODY, now=NOW
    )
    seed = private.private_bytes_raw()
    assert verify("standard-webhooks", "whsk_" + _b64(seed), headers, BODY, now=NOW)


def test_public_key_is_never_used_as_an_hmac_key() -> None:
    """Anyone knows a public key, so an HMAC keyed with it would be a forgery."""
    private = Ed25519PrivateKey.generate()
    raw_public = private.public_key().public_bytes_raw()
    forged = _b64(_hmac(raw_public, f"msg_1.{NOW}.".encode() + BODY))
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(NOW),
        "webhook-signature": f"v1,{forged}",
    }
    assert not verify("standard-webhooks", "whpk_" + _b64(raw_public), headers, BODY, now=NOW)


# --- Stripe / HubSpot / Convoy / generic specifics


def test_stripe_only_counts_v1_and_accepts_any_of_several() -> None:
    sig = stripe_headers(BODY, NOW)["Stripe-Signature"].split("v1=")[1]
    for header, ok in [
        (f"t={NOW},v1={'0' * 64},v1={sig}", True),
        (f"t={NOW},v0={sig}", False),
        (f"v1={sig}", False),
        (f"t={NOW},t={NOW - 1},v1={sig}", False),
    ]:
        assert verify("stripe", SECRET, {"Stripe-Signature": header}, BODY, now=NOW) is ok, header


def test_stripe_key_is_the_whole_secret_string() -> None:
    secret = "whsec_abc"
    sig = _hmac(secret.encode(), f"{NOW}.".encode() + BODY).hex()
    headers = {"Stripe-Signature": f"t={NOW},v1={sig}"}
    assert verify("stripe", secret, headers, BODY, now=NOW)


def test_hubspot_v3_requires_method_and_uri() -> None:
    with pytest.raises(ValueError, match="method and uri"):
        verify("hubspot-v3", SECRET, hubspot_headers(BODY, NOW), BODY, now=NOW)


def test_hubspot_v3_decodes_documented_uri_escapes() -> None:
    signed_uri = "https://hooks.example.com/w/a:b?email=a@b.c&x=(1)&sp=%20"
    received = "https://hooks.example.com/w/a%3Ab?email=a%40b.c&x=%281%29&sp=%20"
    millis = str(NOW * 1000)
    content = f"POST{signed_uri}".encode() + BODY + millis.encode()
    headers = {
        "X-HubSpot-Signature-v3": _b64(_hmac(SECRET.encode(), content)),
        "X-HubSpot-Request-Timestamp": millis,
    }
    assert verify("hubspot-v3", SECRET, headers, BODY, now=NOW, method="POST", uri=received)
    other = received.replace("x=", "y=")
    assert not verify("hubspot-v3", SECRET, headers, BODY, now=NOW, method="POST", uri=other)


def test_hubspot_v3_wrong_method_fails() -> None:
    headers = hubspot_headers(BODY, NOW)
    assert not verify("hubspot-v3", SECRET, headers, BODY, now=NOW, method="GET", uri=HUB_URI)


def test_hubspot_legacy_versions() -> None:
    v1 = hashlib.sha256(SECRET.encode() + BODY).hexdigest()
    v2 = hashlib.sha256(f"{SECRET}POST{HUB_URI}".encode() + BODY).hexdigest()
    assert verify("hubspot-v1", SECRET, {"X-HubSpot-Signature": v1}, BODY)
    assert not verify("hubspot-v1", SECRET, {"X-HubSpot-Signature": v1}, TAMPERED)
    assert verify("hubspot-v2", SECRET, {"X-HubSpot-Signature": v2}, BODY, **REQ)
    assert not verify("hubspot-v2", SECRET, {"X-HubSpot-Signature": v1}, BODY, **REQ)
    with pytest.raises(ValueError):
        verify("hubspot-v2", SECRET, {"X-HubSpot-Signature": v2}, BODY)


def test_convoy_simple_mode_and_options() -> None:
    sig = _b64(_hmac(SECRET.encode(), BODY, "sha512"))
    headers = {"X-Convoy-Signature": sig}
    assert verify("convoy?mode=simple&hash=sha512&encoding=base64", SECRET, headers, BODY)
    assert not verify("convoy?mode=simple", SECRET, headers, BODY)
    assert not verify("convoy", SECRET, headers, BODY)  # advanced by default: needs t=


def test_generic_hmac_options_in_scheme_string() -> None:
    digest = _hmac(SECRET.encode(), BODY, "sha1")
    headers = {"X-Hub-Signature": "sha1=" + digest.hex()}
    scheme = "hmac?header=X-Hub-Signature&algorithm=sha1&prefix=sha1="
    assert verify(scheme, SECRET, headers, BODY)
    assert not verify(scheme, SECRET, headers, TAMPERED)
    assert not verify("hmac?header=X-Hub-Signature&algorithm=sha1", SECRET, headers, BODY)
    b64 = {"X-Sig": _b64(_hmac(SECRET.encode(), BODY, "sha512"))}
    assert verify("hmac?header=X-Sig&algorithm=sha512&encoding=base64", SECRET, b64, BODY)


def test_verify_hmac_function() -> None:
    digest = _hmac(SECRET.encode(), BODY, "sha256")
    headers = {"x-hub-signature-256": "sha256=" + digest.hex().upper()}
    assert verify_hmac(SECRET, headers, BODY, header="X-Hub-Signature-256", prefix="sha256=")
    assert not verify_hmac(
        SECRET, headers, TAMPERED, header="X-Hub-Signature-256", prefix="sha256="
    )
    assert not verify_hmac(SECRET, {}, BODY)
    with pytest.raises(ValueError):
        verify_hmac(SECRET, headers, BODY, algorithm="md5")
    with pytest.raises(ValueError):
        verify_hmac(SECRET, headers, BODY, encoding="base32")


def test_asana_handshake() -> None:
    assert asana_handshake({"X-Hook-Secret": "abc123"}) == "abc123"
    assert asana_handshake({"x-hook-secret": " abc123 "}) == "abc123"
    assert asana_handshake({"X-Hook-Signature": "ff"}) is None
    assert asana_handshake({"X-Hook-Secret": ""}) is None


# --- programmer errors raise


@pytest.mark.parametrize(
    "scheme",
    [
        "nope",
        "github",
        "stripe?tolerance=abc",
        "stripe?tolerance=-1",
        "stripe?bogus=1",
        "shopify?tolerance=5",
        "hmac?algorithm=md5",
        "hmac?encoding=base32",
        "convoy?hash=md5",
        "stripe?tolerance=1&tolerance=2",
        "hmac?header=",
    ],
)
def test_bad_scheme_or_option_raises(scheme: str) -> None:
    with pytest.raises(ValueError):
        verify(scheme, SECRET, {}, BODY, now=NOW)
