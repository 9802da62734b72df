"""Generic, user-configured HMAC signatures ("the header is an HMAC of the body").

For senders with no dedicated scheme (GitHub-style ``X-Hub-Signature-256: sha256=<hex>`` and the
many look-alikes). Because ``verify()`` has a fixed signature, the options ride in the scheme
string as a query string, e.g.::

    verify("hmac", ...)  # X-Signature, sha256, hex, no prefix
    verify("hmac?header=X-Hub-Signature-256&prefix=sha256=", ...)
    verify("hmac?header=X-Signature&algorithm=sha512&encoding=base64", ...)

Call :func:`verify_hmac` directly when the options are at hand as Python values. No timestamp is
signed, so replays are possible: de-duplicate deliveries in the ingress.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flowyard.webhooks.schemes import _options
from flowyard.webhooks.schemes._common import (
    ALGORITHMS,
    Inbound,
    any_equal,
    decode,
    hmac_digest,
    lower_headers,
    to_bytes,
)

_ENCODINGS = ("hex", "base64")


def _validate(algorithm: str, encoding: str) -> tuple[str, str]:
    algorithm, encoding = algorithm.strip().lower(), encoding.strip().lower()
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {sorted(ALGORITHMS)}, got {algorithm!r}")
    if encoding not in _ENCODINGS:
        raise ValueError(f"encoding must be one of {list(_ENCODINGS)}, got {encoding!r}")
    return algorithm, encoding


def _check(
    secret: str | bytes,
    headers: Mapping[str, str],
    body: bytes,
    header: str,
    algorithm: str,
    encoding: str,
    prefix: str,
) -> bool:
    value = headers.get(header.lower(), "").strip()
    if not value or not value.startswith(prefix):
        return False
    expected = hmac_digest(to_bytes(secret), body, algorithm)
    return any_equal(expected, [decode(value[len(prefix) :], encoding)])


def verify_hmac(
    secret: str | bytes,
    headers: Mapping[str, str],
    body: bytes | str,
    *,
    header: str = "X-Signature",
    algorithm: str = "sha256",
    encoding: str = "hex",
    prefix: str = "",
) -> bool:
    """True if ``header`` holds ``prefix`` + the ``encoding`` of HMAC-``algorithm``(body).

    ``algorithm``: sha1 | sha256 | sha512; ``encoding``: hex | base64. Bad options raise
    ValueError; anything wrong with the request itself just returns False.
    """
    algorithm, encoding = _validate(algorithm, encoding)
    return _check(
        secret, lower_headers(headers), to_bytes(body), header, algorithm, encoding, prefix
    )


def configure(options: Mapping[str, str]) -> Callable[[Inbound], bool]:
    """Options: ``header``, ``algorithm``, ``encoding``, ``prefix`` (see :func:`verify_hmac`)."""
    _options.check_names("hmac", options, {"header", "algorithm", "encoding", "prefix"})
    header = options.get("header", "X-Signature").strip()
    if not header:
        raise ValueError("header must not be empty")
    algorithm, encoding = _validate(
        options.get("algorithm", "sha256"), options.get("encoding", "hex")
    )
    prefix = options.get("prefix", "")

    def check(req: Inbound) -> bool:
        return _check(req.secret, req.headers, req.body, header, algorithm, encoding, prefix)

    return check
