"""Connecting apps that use an API key or a username and password (no OAuth redirect).

The Integrations page shows a small form built from the connector's auth declaration; this
module checks what was typed, optionally tries the credentials against the provider (so a typo
is caught now, not at 3 a.m. in a workflow), and stores them sealed in the token vault through
:func:`connections.save_new`, exactly like an OAuth connection.
"""

from __future__ import annotations

import contextlib
import imaplib
import ssl
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx
from sqlmodel import Session

from flowyard.integrations import catalog, config, connections
from flowyard.integrations.models import Connection
from flowyard.integrations.tokens import TokenSet
from flowyard.net import DestinationRefused, SyncGuardedTransport
from flowyard.net.ssrf import check_host
from flowyard.settings import get_settings
from marketplace import registry
from marketplace.sdk import ApiKeyAuth, BasicAuth, Connector

KEY_KINDS = ("api_key", "basic")
CHECK_TIMEOUT = 10.0


class KeyConnectError(ValueError):
    """What was typed can't be used; ``str(error)`` is plain English for the person."""


@dataclass(frozen=True)
class KeyField:
    """One input of the connect form."""

    name: str
    label: str
    kind: str = "text"  # text | password | number | checkbox
    required: bool = True
    default: str = ""


_MAILBOX_FIELDS = (
    KeyField("host", "Mail server (for example imap.example.com)"),
    KeyField("port", "Port", "number", default="993"),
)


def key_connectors() -> list[Connector]:
    """Installed connectors connected with a key or a username and password."""
    found = [c for c in registry.connectors().values() if c.auth.kind in KEY_KINDS]
    return sorted(found, key=lambda c: c.name.lower())


def fields_for(connector: Connector) -> list[KeyField]:
    """The form's fields, from the auth declaration (mail servers also need host and port)."""
    auth = connector.auth
    if isinstance(auth, ApiKeyAuth):
        return [KeyField("api_key", auth.label, "password")]
    if isinstance(auth, BasicAuth):
        pair = [
            KeyField("username", auth.username_label),
            KeyField("password", auth.password_label, "password"),
        ]
        if connector.key == "email":
            ssl_field = KeyField("ssl", "Use a secure (SSL) connection", "checkbox", False, "on")
            return [*_MAILBOX_FIELDS, *pair, ssl_field]
        return pair
    return []


def _clean(connector: Connector, values: Mapping[str, str]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for spec in fields_for(connector):
        raw = str(values.get(spec.name, "") or "")
        value = raw if spec.kind == "password" else raw.strip()
        if spec.required and not value.strip():
            raise KeyConnectError(f"Please fill in “{spec.label}”.")
        if len(value) > 500:
            raise KeyConnectError(f"“{spec.label}” is too long; check you pasted the right thing.")
        cleaned[spec.name] = value
    if "api_key" in cleaned and any(ch.isspace() for ch in cleaned["api_key"].strip()):
        raise KeyConnectError("The key contains spaces; copy it again from the app's settings.")
    if "api_key" in cleaned:
        cleaned["api_key"] = cleaned["api_key"].strip()
    port = cleaned.get("port")
    if port is not None and (not port.isdigit() or not 1 <= int(port) <= 65535):
        raise KeyConnectError("The port must be a number between 1 and 65535.")
    if "ssl" in cleaned:
        cleaned["ssl"] = "yes" if cleaned["ssl"].lower() in ("on", "true", "yes", "1") else ""
    return cleaned


def _check_stripe(connector: Connector, values: Mapping[str, str]) -> None:
    """Stripe: list one customer with the key (works for live, test and restricted keys)."""
    auth = connector.auth
    assert isinstance(auth, ApiKeyAuth)
    transport = SyncGuardedTransport(allow=get_settings().http_allow_entries)
    try:
        with httpx.Client(
            base_url=catalog.effective(connector).base_url,
            transport=transport,
            timeout=CHECK_TIMEOUT,
        ) as client:
            answer = client.get(
                "/v1/customers",
                params={"limit": 1},
                headers={auth.header: f"{auth.prefix}{values['api_key']}"},
            )
    except httpx.HTTPError:
        raise KeyConnectError("We couldn't reach Stripe just now. Try again in a minute.") from None
    if answer.status_code in (401, 403):
        raise KeyConnectError("Stripe didn't accept that key. Copy the secret key again.")
    if answer.status_code >= 400:
        raise KeyConnectError(f"Stripe answered with an error ({answer.status_code}); try again.")


def _check_mailbox(_connector: Connector, values: Mapping[str, str]) -> None:
    """Email: sign in to the IMAP mailbox, which is what the incoming-mail trigger does."""
    host, port = values["host"], int(values["port"])
    try:  # the same outbound rules as every step's HTTP: no private or internal addresses
        check_host(host, port, allow=get_settings().http_allow_entries)
    except DestinationRefused as refused:
        raise KeyConnectError(f"We can't connect to {host}: {refused}") from None
    except OSError:
        raise KeyConnectError(f"We couldn't find the mail server {host}; check the name.") from None
    try:
        if values.get("ssl"):
            context = ssl.create_default_context()
            box: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                host, port, ssl_context=context, timeout=CHECK_TIMEOUT
            )
        else:
            box = imaplib.IMAP4(host, port, timeout=CHECK_TIMEOUT)
    except (OSError, imaplib.IMAP4.error):
        raise KeyConnectError(
            f"We couldn't reach the mail server {host} on port {port}. Check both, and "
            "whether it needs a secure connection."
        ) from None
    try:
        box.login(values["username"], values["password"])
    except imaplib.IMAP4.error:
        raise KeyConnectError("The mail server refused that username and password.") from None
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            box.logout()


CHECKS: dict[str, Callable[[Connector, Mapping[str, str]], None]] = {
    "stripe": _check_stripe,
    "email": _check_mailbox,
}
"""Per-connector credential checks; other key-based apps are stored unchecked."""


def _tokens(connector: Connector, values: Mapping[str, str]) -> tuple[TokenSet, str]:
    if "api_key" in values:
        key = values["api_key"]
        return TokenSet(api_key=key), f"Key ending …{key[-4:]}"
    extras: dict[str, object] = {
        k: v for k, v in values.items() if k not in ("username", "password")
    }
    if "port" in extras:
        extras["port"] = int(values["port"])
    if "ssl" in extras:
        extras["ssl"] = bool(values["ssl"])
    if connector.key == "email":  # the mail actions read everything from ``ctx.credentials``
        extras = {**extras, "username": values["username"], "password": values["password"]}
    label = values["username"] + (f" at {values['host']}" if "host" in values else "")
    tokens = TokenSet(username=values["username"], password=values["password"], extras=extras)
    return tokens, label


def connect_with_key(
    db: Session,
    *,
    tenant_id: uuid.UUID,
    connector_key: str,
    values: Mapping[str, str],
    user_id: uuid.UUID | None,
    check: bool = True,
) -> Connection:
    """Validate, optionally try, and store key/password credentials as a new connection."""
    connector = registry.connectors().get(connector_key)
    if connector is None or connector.auth.kind not in KEY_KINDS:
        raise KeyConnectError("That app isn't connected with a key or a password.")
    cleaned = _clean(connector, values)
    if check and connector.key in CHECKS:
        CHECKS[connector.key](connector, cleaned)
    tokens, label = _tokens(connector, cleaned)
    return connections.save_new(
        db,
        tenant_id=tenant_id,
        connector_key=connector.key,
        app_name=connector.name,
        auth_kind=connector.auth.kind,
        tokens=tokens,
        label=label,
        created_by=user_id,
        sandbox=config.sandbox_mode() and connector.key in config.sandbox_urls(),
    )
