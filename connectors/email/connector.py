"""Send email over SMTP with the standard library's client.

Server settings come from the platform (``ctx.settings["smtp"]``); the idempotency key is
sent as the Message-ID so a retried step is recognisable as the same message downstream.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from connectors.email.imap_trigger import NEW_EMAIL
from marketplace.sdk import Action, ActionContext, AuthError, BasicAuth, Connector, NetworkError


class SendEmailInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: list[EmailStr] = Field(min_length=1, max_length=50)
    subject: str = Field(min_length=1, max_length=300)
    text: str = Field(max_length=100_000)
    html: str | None = Field(default=None, max_length=500_000)
    reply_to: EmailStr | None = None
    from_name: str | None = Field(default=None, max_length=100)


def send_email(ctx: ActionContext, inputs: SendEmailInputs) -> dict[str, Any]:
    smtp = dict(ctx.settings.get("smtp") or {})
    message = EmailMessage()
    sender = smtp.get("sender", "no-reply@localhost")
    message["From"] = formataddr((inputs.from_name, sender)) if inputs.from_name else sender
    message["To"] = ", ".join(inputs.to)
    message["Subject"] = inputs.subject
    domain = sender.rsplit("@", 1)[-1]
    message["Message-ID"] = make_msgid(idstring=ctx.idempotency_key[-40:], domain=domain)
    if inputs.reply_to:
        message["Reply-To"] = inputs.reply_to
    message.set_content(inputs.text)
    if inputs.html:
        message.add_alternative(inputs.html, subtype="html")
    try:
        with smtplib.SMTP(smtp.get("host", "127.0.0.1"), int(smtp.get("port", 25)),
                          timeout=30) as client:  # fmt: skip
            if smtp.get("username"):
                client.starttls()
                client.login(smtp["username"], smtp.get("password") or "")
            refused = client.send_message(message)
    except smtplib.SMTPAuthenticationError:
        raise AuthError("The mail server refused our sign-in details.") from None
    except (TimeoutError, OSError, smtplib.SMTPException) as error:
        raise NetworkError(f"Could not hand the email to the mail server ({error}).") from None
    return {
        "message_id": message["Message-ID"],
        "accepted": [a for a in inputs.to if a not in refused],
        "refused": sorted(refused),
    }


AUTH = BasicAuth(username_label="Mailbox username", password_label="Mailbox password")
"""A mailbox (SMTP/IMAP host, port, username, password) connected from the Integrations page.
Sending without a connection still uses the platform's SMTP settings."""

connector = Connector(
    key="email",
    name="Email",
    version="1.0.0",
    description="Send email from your workflows.",
    icon="mail",
    categories=("built-in", "communication"),
    auth=AUTH,
    actions=(
        Action("send", "Send an email", "Send a plain-text (and optional HTML) email.",
               SendEmailInputs, send_email),
    ),
    triggers=(NEW_EMAIL,),
)  # fmt: skip
