"""HubSpot request signatures (https://developers.hubspot.com/docs/api/webhooks/validating-requests).

* ``hubspot-v3``: ``X-HubSpot-Signature-v3`` = base64 HMAC-SHA256 (key: client secret) of
  ``method + uri + body + X-HubSpot-Request-Timestamp`` with the timestamp in *milliseconds*;
  older than 5 minutes is refused. HubSpot signs the URI with certain percent-escapes decoded
  (the table in its docs), so we decode exactly those before hashing.
* ``hubspot-v2`` / ``hubspot-v1`` (legacy, still sent alongside v3): ``X-HubSpot-Signature`` =
  hex SHA-256 — a plain hash, not an HMAC — of ``secret + method + uri + body`` (v2) or
  ``secret + body`` (v1). They carry no timestamp, so they cannot stop replays: prefer v3.

All three need the request's ``method`` and full ``uri`` (scheme, host, path and query exactly as
HubSpot called it) except v1; omitting them is a programmer error (ValueError).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping

from flowyard.webhooks.schemes import _options
from flowyard.webhooks.schemes._common import (
    Inbound,
    any_equal,
    decode_b64,
    decode_hex,
    fresh,
    hmac_digest,
    parse_timestamp,
    to_bytes,
)

# HubSpot's documented list of escapes to decode in the URI before signing (v3 only).
_DECODED = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}
_ESCAPE = re.compile("|".join(_DECODED), re.IGNORECASE)


def decode_uri(uri: str) -> str:
    """Decode only the escapes HubSpot decodes (others, e.g. ``%20``, stay as they are)."""
    return _ESCAPE.sub(lambda m: _DECODED[m.group(0).upper()], uri)


def _require(req: Inbound, scheme: str) -> tuple[str, str]:
    if not req.method or not req.uri:
        raise ValueError(f"Scheme {scheme!r} needs the request's method and uri.")
    return req.method, req.uri


def configure_v3(options: Mapping[str, str]) -> Callable[[Inbound], bool]:
    """Options: ``tolerance`` (seconds, default 300)."""
    _options.check_names("hubspot-v3", options, {"tolerance"})
    tolerance = _options.tolerance(options)

    def check(req: Inbound) -> bool:
        method, uri = _require(req, "hubspot-v3")
        signature = req.header("x-hubspot-signature-v3")
        raw_ts = req.header("x-hubspot-request-timestamp")
        millis = parse_timestamp(raw_ts)
        if signature is None or millis is None or not fresh(millis / 1000, req.now, tolerance):
            return False
        content = f"{method}{decode_uri(uri)}".encode() + req.body + (raw_ts or "").encode()
        expected = hmac_digest(to_bytes(req.secret), content)
        return any_equal(expected, [decode_b64(signature)])

    return check


def configure_v2(options: Mapping[str, str]) -> Callable[[Inbound], bool]:
    _options.check_names("hubspot-v2", options, ())

    def check(req: Inbound) -> bool:
        method, uri = _require(req, "hubspot-v2")
        signature = req.header("x-hubspot-signature")
        if signature is None:
            return False
        source = to_bytes(req.secret) + f"{method}{uri}".encode() + req.body
        return any_equal(hashlib.sha256(source).digest(), [decode_hex(signature)])

    return check


def configure_v1(options: Mapping[str, str]) -> Callable[[Inbound], bool]:
    _options.check_names("hubspot-v1", options, ())

    def check(req: Inbound) -> bool:
        signature = req.header("x-hubspot-signature")
        if signature is None:
            return False
        source = to_bytes(req.secret) + req.body
        return any_equal(hashlib.sha256(source).digest(), [decode_hex(signature)])

    return check
