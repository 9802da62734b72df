"""The "Webhook" connector: the "Respond to webhook" step of synchronous endpoints."""

from connectors.webhook.connector import connector

__all__ = ["connector"]
