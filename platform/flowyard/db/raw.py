"""A pooled connection in autocommit mode, for single statements on hot paths.

Why: a statement that is a transaction by itself (one CTE that writes several tables, or a
function call) needs no ``BEGIN``/``COMMIT``; in autocommit mode it costs one round trip
instead of three. The connection comes from (and returns to) the engine's pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import namedtuple_row

from flowyard.db.engine import get_engine


@contextmanager
def autocommit_cursor() -> Iterator[psycopg.Cursor[Any]]:
    """Each statement on this cursor commits by itself; rows come back as named tuples."""
    fairy = get_engine().raw_connection()
    conn: psycopg.Connection[Any] = fairy.driver_connection  # type: ignore[assignment]
    try:
        conn.autocommit = True
        with conn.cursor(row_factory=namedtuple_row) as cursor:
            yield cursor
        conn.autocommit = False
    except BaseException:
        fairy.invalidate()  # unknown state: never hand it back to the pool
        raise
    finally:
        fairy.close()
