"""Shared test support: finding real PostgreSQL/Redis servers, app processes, browsers."""
