"""Compliance tests share the two-agency world of the security tests."""

from __future__ import annotations

import pytest

from support.security_world import World, build_world


@pytest.fixture
def world(db: str, redis: str) -> World:
    return build_world()
