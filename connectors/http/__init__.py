"""The HTTP request action: call any web API (public destinations only, unless allow-listed)."""

from connectors.http.connector import connector

__all__ = ["connector"]
