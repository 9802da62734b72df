"""Sending security emails (password reset) over the configured SMTP server."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flowyard.settings import get_settings


def send(to: str, subject: str, body: str, *, from_name: str = "") -> None:
    """Send a plain-text email; raises ``OSError``/``smtplib.SMTPException`` if it fails."""
    settings = get_settings()
    message = EmailMessage()
    sender = settings.smtp_from
    message["From"] = f"{from_name} <{sender}>" if from_name else sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        if settings.smtp_username and settings.smtp_password:
            smtp.starttls()
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(message)
