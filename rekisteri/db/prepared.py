"""A cursor whose statements PostgreSQL plans once per connection (hot, constant SQL).

Django runs psycopg with client-side binding: every statement travels as text with its
values inlined, and the server parses and plans it afresh. For the few statements every
read of personal data repeats (the compiled person queries, the key lookup, the audit
append) planning costs about as much as running them (figures: benchmarks/README.md).
Here they go out with server-side binding and as prepared statements
(psycopg keeps up to 100 per connection and prepares each on its first use).

The cursor is Django's own CursorWrapper around it, so query logging, execute wrappers
(tests that count queries) and database error translation still apply. On other
databases it is simply connection.cursor().
"""

from __future__ import annotations

from typing import Any

import psycopg


def prepared_cursor(connection):
    """A cursor for `connection`; on PostgreSQL its statements are prepared statements."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django connects with preparing switched off (threshold None), which psycopg obeys
        # even when a statement asks to be prepared. A threshold no statement reaches lets
        # the asked ones through; Django's own cursors bind on the client, never prepare.
        raw.prepare_threshold = _ONLY_WHEN_ASKED
    with connection.wrap_database_errors:
        cursor = _PreparingCursor(raw)
    if connection.queries_logged:
        return connection.make_debug_cursor(cursor)
    return connection.make_cursor(cursor)


_ONLY_WHEN_ASKED = 2**62


class _PreparingCursor(psycopg.Cursor):
    """Server-side binding, and every statement prepared (psycopg caches them per connection)."""

    def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: Any = None):
        return super().execute(query, params, prepare=True, binary=binary)
