"""Shopify's OAuth extras: shop-domain validation, the signed install/callback query, per-shop URLs.

Shopify sends the merchant to the app with ``?hmac=…&shop=…&timestamp=…&host=…`` and back to
the callback with the same signature plus ``code`` and ``state``. Before trusting ``shop`` (it
picks the host we send the client secret to) the integrations core calls :func:`check_install`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import time
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qsl

from marketplace.sdk import Connector, OAuth2AuthCode

SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
QueryParams = str | Mapping[str, str | Sequence[str]]
"""A raw query string (``a=1&b=2``) or already-parsed parameters."""


class InstallRejected(ValueError):
    """The install or callback request can't be trusted; ``str()`` is a plain-English reason."""


def valid_shop_domain(shop: str) -> bool:
    """True for ``acme.myshopify.com``-style domains only (never a host the caller picked)."""
    return bool(SHOP_DOMAIN.fullmatch(shop or ""))


def _pairs(query: QueryParams) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(query, str):
        for key, value in parse_qsl(query.lstrip("?"), keep_blank_values=True):
            out.setdefault(key, []).append(value)
        return out
    for key, value in query.items():
        out[key] = [value] if isinstance(value, str) else list(value)
    return out


def _escape(text: str, *, key: bool) -> str:
    text = text.replace("%", "%25").replace("&", "%26")
    return text.replace("=", "%3D") if key else text


def signed_message(query: QueryParams) -> str:
    """What Shopify signs: every parameter but ``hmac``/``signature``, sorted, ``k=v`` joined by
    ``&``; repeated keys (``ids[]``) become ``ids=["1", "2"]``."""
    parts = []
    for key, values in sorted(_pairs(query).items()):
        if key in ("hmac", "signature"):
            continue
        name = key.removesuffix("[]")
        value = values[0] if len(values) == 1 and not key.endswith("[]") else (
            "[" + ", ".join(f'"{v}"' for v in values) + "]"
        )  # fmt: skip
        parts.append(f"{_escape(name, key=True)}={_escape(value, key=False)}")
    return "&".join(parts)


def query_hmac(query: QueryParams, client_secret: str) -> str:
    """Hex HMAC-SHA256 of :func:`signed_message` under the app's client secret."""
    message = signed_message(query).encode()
    return hmac.new(client_secret.encode(), message, hashlib.sha256).hexdigest()


def check_install(
    query: QueryParams, client_secret: str, *, now: float | None = None, max_age: float = 90
) -> str:
    """The shop domain of a genuine install (or OAuth callback) request; InstallRejected if not.

    Checks, in order: a well-formed ``shop``, the ``hmac`` over the query, and a ``timestamp``
    no older than ``max_age`` seconds (Shopify's libraries allow 90 s) so it can't be replayed.
    """
    params = _pairs(query)
    shop = (params.get("shop") or [""])[0].strip().lower()
    if not valid_shop_domain(shop):
        raise InstallRejected(
            f"{shop or 'The shop'!r} is not a Shopify store address (expected name.myshopify.com)."
        )
    given = (params.get("hmac") or [""])[0]
    if not given or not hmac.compare_digest(given.lower(), query_hmac(query, client_secret)):
        raise InstallRejected("Shopify's signature on this request doesn't match; start again.")
    try:
        stamp = float((params.get("timestamp") or [""])[0])
    except ValueError:
        raise InstallRejected("The request from Shopify has no valid timestamp.") from None
    if abs((time.time() if now is None else now) - stamp) > max_age:
        raise InstallRejected("This Shopify link has expired; open the app from Shopify again.")
    return shop


def for_shop(connector: Connector, shop_domain: str) -> Connector:
    """A copy of the Shopify connector whose URLs point at one (validated) store."""
    if not valid_shop_domain(shop_domain):
        raise InstallRejected(f"{shop_domain!r} is not a Shopify store address.")
    handle = shop_domain.removesuffix(".myshopify.com")
    auth = connector.auth
    if isinstance(auth, OAuth2AuthCode):
        auth = dataclasses.replace(
            auth,
            authorize_url=auth.authorize_url.replace("{shop}", handle),
            token_url=auth.token_url.replace("{shop}", handle),
        )
    return dataclasses.replace(
        connector, auth=auth, base_url=connector.base_url.replace("{shop}", handle)
    )
