"""Per-provider OAuth quirks, as a small optional module per connector.

A connector may ship ``oauth_extras.py`` beside its declaration (``connectors/shopify/
oauth_extras.py`` for the entry point ``connectors.shopify:connector``); built-in ones live here
(``flowyard.integrations.oauth_extras.<key>``). Every name is optional and needs no Flowyard
import, so third-party plugins can provide one too:

``TOKEN_AUTH_METHOD``
    ``"client_secret_basic"`` (default) or ``"client_secret_post"``.
``token_response_hook(response) -> response``
    Rewrite a non-RFC 6749 token error body (HubSpot) before authlib reads it.
``start_params(query) -> dict[str, str]``
    Validate what the Connect link carried (e.g. a Shopify shop domain) and return what the
    flow must remember; raise ``ValueError("plain sentence")`` to refuse.
``endpoints(auth, base_url, remembered) -> (auth, base_url)``
    Per-account URLs (Shopify's ``https://{shop}/admin/oauth/authorize``); ``remembered`` is
    what ``start_params`` returned, later the connection's stored extras.
``verify_callback(query, client_secret) -> bool``
    Check a provider-signed callback (Shopify's ``hmac``) before the code is exchanged.
``verify_install(query, client_secret) -> dict | None``
    An install link opened from the provider (Shopify admin): verified start params or None.
``after_token(http, token, remembered) -> {"label": str, "extras": dict}``
    Look the account up with the new token (Xero ``/connections``); ``http`` is authenticated
    and based at the API URL. ``extras`` are stored encrypted and handed to actions as
    ``ctx.credentials``.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import httpx

from marketplace.registry import ENTRY_POINT_GROUP
from marketplace.sdk import OAuth2AuthCode


def _import(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name == name or name.startswith(f"{error.name}."):
            return None
        raise


@functools.cache
def _module(connector_key: str) -> ModuleType | None:
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name == connector_key:
            found = _import(f"{entry.module}.oauth_extras")
            if found is not None:
                return found
    return _import(f"{__name__}.{connector_key}")


class Extras:
    """The hooks of one connector, with the defaults filled in."""

    def __init__(self, connector_key: str) -> None:
        self.key = connector_key
        self._module = _module(connector_key)

    def _hook(self, name: str) -> Callable[..., Any] | None:
        return getattr(self._module, name, None) if self._module else None

    @property
    def token_auth_method(self) -> str:
        return getattr(self._module, "TOKEN_AUTH_METHOD", "client_secret_basic")

    def token_response_hooks(self) -> list[Callable[[httpx.Response], httpx.Response]]:
        hook = self._hook("token_response_hook")
        return [hook] if hook else []

    def start_params(self, query: Mapping[str, str]) -> dict[str, str]:
        hook = self._hook("start_params")
        return dict(hook(query)) if hook else {}

    def endpoints(
        self, auth: OAuth2AuthCode, base_url: str, remembered: Mapping[str, Any]
    ) -> tuple[OAuth2AuthCode, str]:
        hook = self._hook("endpoints")
        return hook(auth, base_url, remembered) if hook else (auth, base_url)

    def verify_callback(self, query: Mapping[str, str], client_secret: str) -> bool:
        hook = self._hook("verify_callback")
        return bool(hook(query, client_secret)) if hook else True

    def verify_install(self, query: Mapping[str, str], client_secret: str) -> dict | None:
        hook = self._hook("verify_install")
        return hook(query, client_secret) if hook else None

    def after_token(
        self, http: httpx.Client, token: Mapping[str, Any], remembered: Mapping[str, Any]
    ) -> dict[str, Any]:
        hook = self._hook("after_token")
        return dict(hook(http, token, remembered)) if hook else {}


def extras_for(connector_key: str) -> Extras:
    return Extras(connector_key)
