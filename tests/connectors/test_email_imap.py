"""The IMAP new-email trigger against a real IMAP server on 127.0.0.1 (the sandbox)."""

from __future__ import annotations

import imaplib
import logging
import socket
from collections.abc import Iterator
from email.message import EmailMessage

import httpx
import pytest

from connectors.email import connector as email_connector
from connectors.email.imap_sandbox import ImapSandbox
from connectors.email.imap_trigger import NEW_EMAIL, poll
from marketplace.sdk import (
    ActionContext,
    AuthError,
    InvalidInputError,
    NetworkError,
    PollingTrigger,
)

USER, PASSWORD = "ops@acme.test", 'p@ss "word"'


def _mail(subject: str, *, message_id: str | None = None, attach: bool = False) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Ann Lee <ann@example.com>"
    message["To"] = "ops@acme.test, Sales <sales@acme.test>"
    message["Cc"] = "boss@acme.test"
    message["Subject"] = subject
    message["Date"] = "Tue, 14 Nov 2023 22:13:20 +0000"
    message["Message-ID"] = message_id or f"<{subject.replace(' ', '-')}@example.com>"
    message.set_content(f"Hello about {subject}.")
    message.add_alternative(f"<p>Hello about <b>{subject}</b>.</p>", subtype="html")
    if attach:
        message.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf",
                               filename="invoice.pdf")  # fmt: skip
    return message


@pytest.fixture
def imap() -> Iterator[ImapSandbox]:
    with ImapSandbox({USER: PASSWORD}) as server:
        yield server


def _ctx(server: ImapSandbox, **overrides) -> ActionContext:
    credentials = {"host": "127.0.0.1", "port": server.port, "username": USER,
                   "password": PASSWORD, "ssl": False, **overrides}  # fmt: skip
    return ActionContext(
        http=httpx.Client(), idempotency_key="poll", log=logging.getLogger("tests"),
        credentials=credentials,
    )  # fmt: skip


def test_declared_on_the_email_connector() -> None:
    trigger = email_connector.trigger("new_email")
    assert isinstance(trigger, PollingTrigger) and trigger is NEW_EMAIL
    assert trigger.item_id({"id": "<a@b>"}) == "<a@b>"


def test_imaplib_talks_to_the_sandbox(imap: ImapSandbox) -> None:
    imap.deliver(_mail("raw check"))
    client = imaplib.IMAP4("127.0.0.1", imap.port, timeout=5)
    client.login(USER, PASSWORD)
    assert client.select("INBOX", readonly=True)[0] == "OK"
    assert client.uid("SEARCH", "ALL") == ("OK", [b"1"])
    typ, data = client.uid("FETCH", "1", "(UID FLAGS RFC822)")
    assert typ == "OK" and b"Subject: raw check" in data[0][1]
    client.logout()
    assert imap.mailboxes["INBOX"].messages[0].flags == set()  # read-only: not marked \Seen


def test_first_poll_sets_the_baseline_then_new_mail_arrives(imap: ImapSandbox) -> None:
    imap.deliver(_mail("old one"))
    imap.deliver(_mail("old two"))
    first = poll(_ctx(imap), None)
    assert first.items == [] and first.cursor == "1700000001:2"
    imap.deliver(_mail("Order 1001", attach=True))
    imap.deliver(_mail("Order 1002"))
    second = poll(_ctx(imap), first.cursor)
    assert second.cursor == "1700000001:4"
    one, two = second.items
    assert (one["subject"], two["subject"]) == ("Order 1001", "Order 1002")
    assert one["id"] == one["message_id"] == "<Order-1001@example.com>" and one["uid"] == 3
    assert one["from"] == "Ann Lee <ann@example.com>" and one["from_address"] == "ann@example.com"
    assert one["to"] == ["ops@acme.test", "sales@acme.test"] and one["cc"] == ["boss@acme.test"]
    assert one["date"] == "2023-11-14T22:13:20+00:00"
    assert one["text"].strip() == "Hello about Order 1001."
    assert one["html"].strip() == "<p>Hello about <b>Order 1001</b>.</p>"
    assert one["attachments"] == [
        {"filename": "invoice.pdf", "content_type": "application/pdf", "size": 13}
    ]
    assert two["attachments"] == []
    assert poll(_ctx(imap), second.cursor).items == []  # nothing new: nothing again
    assert all(not m.flags for m in imap.mailboxes["INBOX"].messages)


def test_duplicate_message_ids_in_one_batch_are_one_item(imap: ImapSandbox) -> None:
    cursor = poll(_ctx(imap), None).cursor
    imap.deliver(_mail("copy", message_id="<same@example.com>"))
    imap.deliver(_mail("copy again", message_id="<same@example.com>"))
    result = poll(_ctx(imap), cursor)
    assert [i["subject"] for i in result.items] == ["copy"] and result.cursor.endswith(":2")


def test_message_without_message_id_gets_a_uid_based_id(imap: ImapSandbox) -> None:
    cursor = poll(_ctx(imap), None).cursor
    imap.deliver(b"From: x@example.com\r\nSubject: bare\r\n\r\njust text\r\n")
    (item,) = poll(_ctx(imap), cursor).items
    assert item["id"] == "imap:1700000001:1" and item["text"].strip() == "just text"
    assert item["html"] is None and item["date"] is None


def test_uidvalidity_change_rereads_and_dedupe_ids_stay_stable(imap: ImapSandbox) -> None:
    imap.deliver(_mail("before"))
    cursor = poll(_ctx(imap), None).cursor
    imap.deliver(_mail("after"))
    seen = poll(_ctx(imap), cursor)
    imap.renumber()
    again = poll(_ctx(imap), seen.cursor)
    assert again.cursor == "1700000002:2"
    assert [i["id"] for i in again.items] == ["<before@example.com>", "<after@example.com>"]
    assert seen.items[0]["id"] in {i["id"] for i in again.items}  # the engine's dedupe drops it


def test_batches_are_capped_and_resume(imap: ImapSandbox, monkeypatch) -> None:
    monkeypatch.setattr("connectors.email.imap_trigger.BATCH", 2)
    cursor = poll(_ctx(imap), None).cursor
    for n in range(5):
        imap.deliver(_mail(f"m{n}"))
    subjects = []
    for _ in range(3):
        result = poll(_ctx(imap), cursor)
        subjects += [i["subject"] for i in result.items]
        cursor = result.cursor
    assert subjects == ["m0", "m1", "m2", "m3", "m4"]


def test_other_mailbox_from_settings_and_unknown_mailbox(imap: ImapSandbox) -> None:
    imap.deliver(_mail("in archive"), mailbox="Archive")
    ctx = _ctx(imap)
    ctx.settings = {"mailbox": "Archive"}
    assert poll(ctx, None).cursor.endswith(":1")
    ctx.settings = {"mailbox": "Nope"}
    with pytest.raises(InvalidInputError, match="doesn't exist"):
        poll(ctx, None)


def test_wrong_password_is_an_auth_error(imap: ImapSandbox) -> None:
    with pytest.raises(AuthError, match="refused the username or password"):
        poll(_ctx(imap, password="wrong"), None)


def test_unreachable_server_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once closed
    credentials = {"host": "127.0.0.1", "port": port, "username": USER, "ssl": False}
    ctx = ActionContext(http=httpx.Client(), idempotency_key="k",
                        log=logging.getLogger("tests"), credentials=credentials)  # fmt: skip
    with pytest.raises(NetworkError):
        poll(ctx, None)
    with pytest.raises(InvalidInputError, match="host name"):
        poll(ActionContext(http=httpx.Client(), idempotency_key="k",
                           log=logging.getLogger("tests")), None)  # fmt: skip
