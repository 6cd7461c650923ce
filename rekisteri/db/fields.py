"""Model fields shared by several apps."""

from __future__ import annotations

from django.db import models


class RowIdAutoField(models.BigAutoField):
    """BigAutoField that is SQLite's plain rowid, without AUTOINCREMENT.

    Django declares SQLite's auto fields AUTOINCREMENT, which only adds the promise that an
    id of a deleted row is never handed out again, at the price of reading and rewriting
    the sqlite_sequence table after every inserted row. For rows that nothing refers to by
    id and that are written by the hundred thousand (a person's categories, the persons an
    audit event names) that promise is worth nothing and the rewrite is a measurable share
    of a bulk load. On PostgreSQL it is BigAutoField as before (an identity column).
    """

    def db_type_suffix(self, connection):
        if connection.vendor == "sqlite":
            return None
        return super().db_type_suffix(connection)
