"""Shared set-up for security tests: two agencies, each with a client and people in every role."""

from __future__ import annotations

import pytest

from support.security_world import World, build_world


@pytest.fixture
def world(db: str, redis: str) -> World:
    """Agency A (clients A1, A2) and agency B (client B1), with a user per role."""
    return build_world()
