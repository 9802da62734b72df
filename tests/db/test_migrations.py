"""Alembic: empty → head → base → head on PostgreSQL, and the models match the migrations."""

from __future__ import annotations

import os

import psycopg
from sqlalchemy import create_engine, inspect, pool

from flowyard.db import migrate
from support import services


def test_upgrade_downgrade_roundtrip_and_no_drift() -> None:
    admin = services.postgres_admin_url()
    name = f"flowyard_migrations_{os.getpid()}"
    libpq = admin.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = services.with_database(admin, name)
    try:
        migrate.upgrade(url)
        engine = create_engine(url, poolclass=pool.NullPool)
        assert {"agency", "tenant", "app_user", "membership"} <= set(
            inspect(engine).get_table_names()
        )
        assert migrate.drift(url) == [], "models and migrations differ: add a migration"
        migrate.downgrade(url, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(url)
        assert migrate.drift(url) == []
        engine.dispose()
    finally:
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
