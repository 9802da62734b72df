"""One entry point for checking inbound webhook signatures, whatever the provider.

``scheme`` names a provider scheme, optionally followed by options as a query string (e.g.
``"stripe?tolerance=600"`` or ``"hmac?header=X-Hub-Signature-256&prefix=sha256="``); each scheme
module documents its options. A wrong scheme or option is a programmer error and raises
ValueError; anything wrong with the request (missing headers, bad signature, stale timestamp)
only ever returns False, so an ingress can map False to 401 without try/except.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from urllib.parse import parse_qsl

from flowyard.webhooks.schemes import (
    asana,
    convoy,
    generic,
    hubspot,
    shopify,
    slack,
    standard,
    stripe,
    xero,
)
from flowyard.webhooks.schemes._common import Inbound, lower_headers, to_bytes

_Check = Callable[[Inbound], bool]

_SCHEMES: dict[str, Callable[[Mapping[str, str]], _Check]] = {
    "standard-webhooks": standard.configure,
    "stripe": stripe.configure,
    "shopify": shopify.configure,
    "xero": xero.configure,
    "hubspot-v3": hubspot.configure_v3,
    "hubspot-v2": hubspot.configure_v2,
    "hubspot-v1": hubspot.configure_v1,
    "slack": slack.configure,
    "asana": asana.configure,
    "convoy": convoy.configure,
    "hmac": generic.configure,
}


@lru_cache(maxsize=256)
def _checker(scheme: str) -> _Check:
    name, _, query = scheme.partition("?")
    name = name.strip().lower()
    factory = _SCHEMES.get(name)
    if factory is None:
        known = ", ".join(sorted(_SCHEMES))
        raise ValueError(f"Unknown webhook signature scheme {name!r} (known: {known}).")
    pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    options = dict(pairs)
    if len(options) != len(pairs):
        raise ValueError(f"Duplicate option in webhook scheme {scheme!r}.")
    return factory(options)


def verify(
    scheme: str,
    secret: str | bytes,
    headers: Mapping[str, str],
    body: bytes | str,
    *,
    now: float | None = None,
    method: str | None = None,
    uri: str | None = None,
) -> bool:
    """True only if ``body`` carries a valid, fresh signature for ``scheme`` under ``secret``.

    ``body`` must be the raw bytes as received (re-serialised JSON will not verify); a str is
    taken as UTF-8. ``headers`` are matched case-insensitively. ``now`` pins the clock (tests);
    ``method``/``uri`` are required by the HubSpot v2/v3 schemes.
    """
    check = _checker(scheme)
    inbound = Inbound(
        secret=secret,
        headers=lower_headers(headers),
        body=to_bytes(body),
        now=time.time() if now is None else float(now),
        method=method,
        uri=uri,
    )
    return check(inbound)
