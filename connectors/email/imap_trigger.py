"""New-email trigger: polls a mailbox over IMAP (standard library ``imaplib``).

The cursor is ``UIDVALIDITY:last UID``: each poll asks only for UIDs above the last one seen, and
a changed UIDVALIDITY (the server renumbered the mailbox) starts over from the oldest message,
with the engine's dedupe on the item id (the Message-ID) keeping already-seen mail out. The first
poll only records where the mailbox ends, so connecting a full inbox doesn't start a run per old
email. The mailbox is opened read-only (EXAMINE + BODY.PEEK), so polling never marks mail read.
Credentials (``ctx.credentials``): host, port, username, password, ssl (default true);
``mailbox`` (default INBOX) may also come from ``ctx.settings``.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import email.utils
import imaplib
import re
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from marketplace.sdk import (
    ActionContext,
    AuthError,
    InvalidInputError,
    NetworkError,
    PollingTrigger,
    PollResult,
)

BATCH = 50
TIMEOUT = 30.0
_FETCH_UID = re.compile(rb"UID (\d+)")


def _cursor(cursor: str | None) -> tuple[int, int] | None:
    validity, sep, last = (cursor or "").partition(":")
    return (int(validity), int(last)) if sep and validity.isdigit() and last.isdigit() else None


def _connect(credentials: Mapping[str, Any]) -> imaplib.IMAP4:
    host = str(credentials.get("host") or "")
    if not host or not credentials.get("username"):
        raise InvalidInputError("Add the mail server's host name and username to this connection.")
    use_ssl = credentials.get("ssl", True) not in (False, "false", "0", 0)
    port = int(credentials.get("port") or (993 if use_ssl else 143))
    try:
        if use_ssl:
            context = ssl.create_default_context()
            return imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=TIMEOUT)
        return imaplib.IMAP4(host, port, timeout=TIMEOUT)
    except (OSError, imaplib.IMAP4.error) as error:
        raise NetworkError(f"We couldn't reach the mail server {host}:{port} ({error}).") from None


def _addresses(message: EmailMessage, header: str) -> list[str]:
    return [addr for _name, addr in email.utils.getaddresses(message.get_all(header, [])) if addr]


def _part_text(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_type() != f"text/{subtype}":
        return None
    try:
        return str(part.get_content())
    except (LookupError, ValueError):
        return part.get_payload(decode=True).decode("utf-8", errors="replace")


def parse(raw: bytes, uid: int, validity: int, mailbox: str) -> dict[str, Any]:
    """The item a workflow sees: addresses, subject, ISO date, text/HTML, attachment metadata."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    message_id = str(message.get("Message-ID", "")).strip()
    try:
        when = email.utils.parsedate_to_datetime(str(message.get("Date", "")))
        date = when.isoformat()
    except (TypeError, ValueError):
        date = None
    attachments = [
        {
            "filename": part.get_filename(),
            "content_type": part.get_content_type(),
            "size": len(part.get_payload(decode=True) or b""),
        }
        for part in message.iter_attachments()
    ]
    sender = _addresses(message, "From")
    return {
        "id": message_id or f"imap:{validity}:{uid}",
        "message_id": message_id or None,
        "uid": uid,
        "mailbox": mailbox,
        "from": str(message.get("From", "")),
        "from_address": sender[0] if sender else None,
        "to": _addresses(message, "To"),
        "cc": _addresses(message, "Cc"),
        "subject": str(message.get("Subject", "")),
        "date": date,
        "text": _part_text(message, "plain"),
        "html": _part_text(message, "html"),
        "attachments": attachments,
    }


def _checked(answer: tuple[str, list[Any]], what: str) -> list[Any]:
    typ, data = answer
    if typ != "OK":
        raise InvalidInputError(f"The mail server refused to {what} ({data!r}).")
    return data


def _fetch(imap: imaplib.IMAP4, uids: list[int]) -> dict[int, bytes]:
    spec = ",".join(str(u) for u in uids)
    data = _checked(imap.uid("FETCH", spec, "(UID RFC822.SIZE BODY.PEEK[])"), "send messages")
    found: dict[int, bytes] = {}
    for item in data:
        if isinstance(item, tuple) and (match := _FETCH_UID.search(item[0])):
            found[int(match.group(1))] = item[1]
    return found


def _poll_mailbox(imap: imaplib.IMAP4, mailbox: str, cursor: str | None) -> PollResult:
    typ, _data = imap.select(f'"{mailbox}"', readonly=True)
    if typ != "OK":
        raise InvalidInputError(f"The mailbox {mailbox!r} doesn't exist on the mail server.")
    validity = int(imap.response("UIDVALIDITY")[1][0])
    previous = _cursor(cursor)
    if previous is None:
        every = _checked(imap.uid("SEARCH", "ALL"), "search")[0].split()
        return PollResult([], f"{validity}:{max(map(int, every), default=0)}")
    last = previous[1] if previous[0] == validity else 0
    found = _checked(imap.uid("SEARCH", "UID", f"{last + 1}:*"), "search")[0].split()
    new = sorted(u for u in map(int, found) if u > last)[:BATCH]
    if not new:
        return PollResult([], f"{validity}:{last}")
    items: dict[str, dict[str, Any]] = {}
    for uid, raw in sorted(_fetch(imap, new).items()):
        item = parse(raw, uid, validity, mailbox)
        items.setdefault(item["id"], item)  # the same Message-ID twice: keep the first copy
    return PollResult(list(items.values()), f"{validity}:{max(new)}")


def poll(ctx: ActionContext, cursor: str | None) -> PollResult:
    credentials = ctx.credentials
    mailbox = str(ctx.settings.get("mailbox") or credentials.get("mailbox") or "INBOX")
    imap = _connect(credentials)
    try:
        try:
            imap.login(str(credentials["username"]), str(credentials.get("password") or ""))
        except imaplib.IMAP4.error:
            raise AuthError(
                "The mail server refused the username or password. Check them (some providers "
                "need an app password for IMAP) and reconnect."
            ) from None
        return _poll_mailbox(imap, mailbox, cursor)
    except (OSError, imaplib.IMAP4.abort) as error:
        raise NetworkError(f"The connection to the mail server broke ({error}).") from None
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            imap.logout()


NEW_EMAIL = PollingTrigger(
    key="new_email",
    name="New email (IMAP)",
    description="Runs for each new message in a mailbox, checked every few minutes.",
    poll=poll,
    interval_seconds=120,
    item_id=lambda item: str(item["id"]),
)
