"""Email: send over SMTP (incoming-mail trigger arrives with the integrations work)."""

from connectors.email.connector import connector

__all__ = ["connector"]
