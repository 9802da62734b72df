"""Point a connector declaration at a sandbox: production URLs are kept, only hosts change."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from marketplace.sdk import Connector, OAuth2AuthCode


def _swap(url: str | None, origins: Iterable[str], base: str) -> str | None:
    if not url:
        return url
    for origin in origins:
        if url == origin or url.startswith(origin + "/"):
            return base.rstrip("/") + url[len(origin) :]
    return url


def rebase(connector: Connector, origins: Iterable[str], base: str) -> Connector:
    """A copy of ``connector`` whose OAuth and API URLs on ``origins`` now point at ``base``."""
    origins = tuple(origins)
    auth = connector.auth
    if isinstance(auth, OAuth2AuthCode):
        auth = dataclasses.replace(
            auth,
            authorize_url=_swap(auth.authorize_url, origins, base) or "",
            token_url=_swap(auth.token_url, origins, base) or "",
            revoke_url=_swap(auth.revoke_url, origins, base),
        )
    base_url = _swap(connector.base_url, origins, base) or ""
    return dataclasses.replace(connector, auth=auth, base_url=base_url)
