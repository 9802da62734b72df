"""Every column that holds vault ciphertext, and ``rotate-keys`` re-encrypting them all.

Owners register their columns here (table, key columns, how the row's vault context is built),
so one command rotates every secret. Rotation needs no downtime: put the new key first in
``FLOWYARD_SECRET_KEYS`` (keeping the old one), restart, then run ``flowyard rotate-keys``; rows
are re-encrypted in small transactions, each only if it still holds the ciphertext that was
read (a row written meanwhile already uses the new key), and reads keep working throughout
because old ciphertexts name their key id. Remove the old key once the command reports zero.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from flowyard.db import system_session
from flowyard.security import vault

log = logging.getLogger(__name__)
BATCH = 200


@dataclass(frozen=True)
class EncryptedColumn:
    table: str
    column: str
    key_columns: tuple[str, ...]
    context: Callable[[Mapping[str, Any]], str]
    """The vault context (associated data) of a row, from its key and owner columns."""
    owner_columns: tuple[str, ...] = ()


_registry: list[EncryptedColumn] = []


def register(column: EncryptedColumn) -> None:
    """Declare a vault-encrypted column (call at import of the owning module)."""
    if all((c.table, c.column) != (column.table, column.column) for c in _registry):
        _registry.append(column)


def registered() -> list[EncryptedColumn]:
    return list(_registry)


@dataclass
class RotationReport:
    table: str
    column: str
    rotated: int = 0
    already_current: int = 0
    skipped_missing_table: bool = False


def _table_exists(name: str) -> bool:
    with system_session() as db:
        found = db.execute(text("SELECT to_regclass(:name)"), {"name": f"public.{name}"}).scalar()
    return found is not None


def _select_sql(col: EncryptedColumn) -> str:
    fields = ", ".join(dict.fromkeys((*col.key_columns, *col.owner_columns, col.column)))
    keys_after = " AND ".join(f"{k}::text > :after_{k}" for k in col.key_columns[:1])
    return (
        f"SELECT {fields} FROM {col.table} WHERE {col.column} IS NOT NULL "
        f"AND {col.column} NOT LIKE :current AND {keys_after} "
        f"ORDER BY {col.key_columns[0]}::text LIMIT {BATCH}"
    )


def rotate_column(col: EncryptedColumn, ring: vault.Keyring | None = None) -> RotationReport:
    """Re-encrypt every value of one column that is not under the primary key."""
    ring = ring or vault.keyring()
    report = RotationReport(col.table, col.column)
    if not _table_exists(col.table):
        report.skipped_missing_table = True
        return report
    current = f"{vault.PREFIX}:{ring.primary_kid}:%"
    first = col.key_columns[0]
    after = ""
    while True:
        with system_session() as db:
            rows = (
                db.execute(text(_select_sql(col)), {"current": current, f"after_{first}": after})
                .mappings()
                .all()
            )
        if not rows:
            return report
        for row in rows:
            after = str(row[first])
            old = row[col.column]
            if not old or not vault.needs_rotation(old, ring):
                report.already_current += 1
                continue
            new = vault.reencrypt(old, context=col.context(row), ring=ring)
            where = " AND ".join(f"{k} = :{k}" for k in col.key_columns)
            with system_session() as db:
                changed = db.execute(
                    text(
                        f"UPDATE {col.table} SET {col.column} = :new "
                        f"WHERE {where} AND {col.column} = :old"
                    ),
                    {"new": new, "old": old, **{k: row[k] for k in col.key_columns}},
                ).rowcount
                db.commit()
            report.rotated += changed


def rotate_all(ring: vault.Keyring | None = None) -> list[RotationReport]:
    """Rotate every registered column; returns what was done per column."""
    _register_builtin()
    return [rotate_column(col, ring) for col in registered()]


def remaining(ring: vault.Keyring | None = None) -> int:
    """How many stored secrets are still under an old key (0 = the old key can go)."""
    _register_builtin()
    ring = ring or vault.keyring()
    total = 0
    for col in registered():
        if not _table_exists(col.table):
            continue
        with system_session() as db:
            total += db.execute(
                text(
                    f"SELECT count(*) FROM {col.table} WHERE {col.column} IS NOT NULL "
                    f"AND {col.column} NOT LIKE :current"
                ),
                {"current": f"{vault.PREFIX}:{ring.primary_kid}:%"},
            ).scalar_one()
    return int(total)


def _register_builtin() -> None:
    """The platform's own vault columns (connections, webhooks, MFA and OIDC secrets)."""
    register(EncryptedColumn("connection", "secret", ("id",),
                             lambda r: f"tenant:{r['tenant_id']}:connection:{r['id']}",
                             ("tenant_id",)))  # fmt: skip
    register(EncryptedColumn("webhook_endpoint", "secret", ("id",),
                             lambda r: f"tenant:{r['tenant_id']}:webhook-endpoint:{r['id']}",
                             ("tenant_id",)))  # fmt: skip
    for column in ("secret", "previous_secret"):
        register(EncryptedColumn("webhook_subscription", column, ("id",),
                                 lambda r: f"agency:{r['agency_id']}:webhook-sub:{r['id']}",
                                 ("agency_id",)))  # fmt: skip
    register(EncryptedColumn("mfa_enrolment", "secret", ("user_id",),
                             lambda r: f"user:{r['user_id']}:mfa-totp"))  # fmt: skip
    register(EncryptedColumn("agency_sso", "client_secret", ("id",),
                             lambda r: f"agency:{r['agency_id']}:oidc",
                             ("agency_id",)))  # fmt: skip
