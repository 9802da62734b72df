"""The connectors a tenant can connect, as the Integrations page lists them, and the
declaration actually used at run time (pointed at the local simulator in sandbox mode)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from connectors.sandbox_kit import rebase
from flowyard.integrations import config
from marketplace import registry
from marketplace.sdk import Connector, OAuth2AuthCode


@dataclass(frozen=True)
class CatalogEntry:
    key: str
    name: str
    description: str
    icon: str
    categories: tuple[str, ...]
    auth_kind: str
    connectable: bool
    """True when this server can start a connection (OAuth app configured, or a sandbox)."""


class UnknownConnector(LookupError):
    """No installed connector has that key."""


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def production_origins(connector: Connector) -> tuple[str, ...]:
    """Every host the declaration talks to (OAuth endpoints and the API base)."""
    urls = [connector.base_url]
    if isinstance(connector.auth, OAuth2AuthCode):
        urls += [connector.auth.authorize_url, connector.auth.token_url, connector.auth.revoke_url]
    return tuple(dict.fromkeys(o for o in map(_origin, urls) if o))


def effective(connector: Connector) -> Connector:
    """The declaration to use now: production URLs, or the sandbox's in sandbox mode."""
    if not config.sandbox_mode():
        return connector
    base = config.sandbox_urls().get(connector.key)
    if base is None:
        return connector
    return rebase(connector, production_origins(connector), base)


def get(key: str) -> Connector:
    """The effective declaration of an installed connector."""
    found = registry.connectors().get(key)
    if found is None:
        raise UnknownConnector(f'No app called "{key}" is installed.')
    return effective(found)


def _connectable(connector: Connector) -> bool:
    if connector.auth.kind != "oauth2_code":
        return False
    try:
        config.app_credentials(connector.key)
    except config.NotConfigured:
        return False
    return not config.sandbox_mode() or connector.key in config.sandbox_urls()


def entries(search: str = "", category: str = "") -> list[CatalogEntry]:
    """Installed connectors that need a connection, filtered by a search term and category."""
    term = search.strip().lower()
    found = []
    for connector in sorted(registry.connectors().values(), key=lambda c: c.name.lower()):
        if connector.auth.kind == "none":
            continue
        haystack = " ".join((connector.name, connector.description, *connector.categories))
        if term and term not in haystack.lower():
            continue
        if category and category not in connector.categories:
            continue
        found.append(
            CatalogEntry(
                key=connector.key,
                name=connector.name,
                description=connector.description,
                icon=connector.icon,
                categories=connector.categories,
                auth_kind=connector.auth.kind,
                connectable=_connectable(connector),
            )
        )
    return found


def categories() -> list[str]:
    """Every category used by an installed connector that needs a connection."""
    used = {
        c for conn in registry.connectors().values() if conn.auth.kind != "none"
        for c in conn.categories
    }  # fmt: skip
    return sorted(used)
