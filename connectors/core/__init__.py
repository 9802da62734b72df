"""Built-in steps that need no outside account: transform, filter, notes, events."""

from connectors.core.connector import connector

__all__ = ["connector"]
