"""Convoy (getconvoy.io) endpoint signatures in ``X-Convoy-Signature``.

* advanced (default, replay-safe): ``t=<unix>,v1=<sig>[,v2=<sig>…]`` signed over
  ``"{t},{raw body}"``; entries may come in any order, several ``vN`` entries appear during secret
  rotation and any match passes; a missing or non-numeric ``t`` fails.
* simple: the header is just the signature of the raw body (no timestamp, so no replay defence).

Hash (sha256/sha512) and encoding (hex/base64) are per-endpoint settings in Convoy, hence options.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from flowyard.webhooks.schemes import _options
from flowyard.webhooks.schemes._common import (
    Inbound,
    any_equal,
    decode,
    fresh,
    hmac_digest,
    parse_timestamp,
    to_bytes,
)

_VERSION = re.compile(r"v[0-9]+", re.ASCII)


def configure(options: Mapping[str, str]) -> Callable[[Inbound], bool]:
    """Options: ``mode`` (advanced|simple), ``hash`` (sha256|sha512), ``encoding`` (hex|base64),
    ``tolerance`` (seconds, default 300; advanced mode only), ``header``."""
    _options.check_names("convoy", options, {"mode", "hash", "encoding", "tolerance", "header"})
    mode = _options.choice(options, "mode", {"advanced", "simple"}, "advanced")
    algorithm = _options.choice(options, "hash", {"sha256", "sha512"}, "sha256")
    encoding = _options.choice(options, "encoding", {"hex", "base64"}, "hex")
    tolerance = _options.tolerance(options)
    header = options.get("header", "X-Convoy-Signature").strip().lower()

    def check(req: Inbound) -> bool:
        value = req.header(header)
        if value is None:
            return False
        key = to_bytes(req.secret)
        if mode == "simple":
            return any_equal(hmac_digest(key, req.body, algorithm), [decode(value, encoding)])
        stamps: list[str] = []
        signatures: list[str] = []
        for item in value.split(","):
            name, sep, val = item.strip().partition("=")
            if sep and name == "t":
                stamps.append(val)
            elif sep and _VERSION.fullmatch(name):
                signatures.append(val)
        if len(stamps) != 1:
            return False
        timestamp = parse_timestamp(stamps[0])
        if timestamp is None or not fresh(timestamp, req.now, tolerance):
            return False
        expected = hmac_digest(key, f"{stamps[0]},".encode() + req.body, algorithm)
        return any_equal(expected, (decode(sig, encoding) for sig in signatures))

    return check
