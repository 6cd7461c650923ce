"""`column IN (many ids)` as one bound parameter instead of one per id.

A batch erasure names 2,000 persons in every statement: with a placeholder per id, Django's
SQLite wrapper rewrites each long statement's placeholders by regular expression and binds
2,000 parameters, per model. One parameter instead: a JSON array read by json_each on
SQLite (the planner still searches the column's index for each member, checked with EXPLAIN
QUERY PLAN), an array with `= ANY` on PostgreSQL.
"""

from __future__ import annotations

import json


def id_set_where(connection, column_sql: str, values: list) -> tuple[str, list]:
    """(SQL condition, params) for `column_sql` being any of `values` (already in database form)."""
    if connection.vendor == "sqlite":
        return f"{column_sql} IN (SELECT value FROM json_each(%s))", [json.dumps(values)]
    if connection.vendor == "postgresql":
        return f"{column_sql} = ANY(%s)", [list(values)]
    return f"{column_sql} IN ({', '.join(['%s'] * len(values))})", list(values)


def id_set_in(connection, values: list):
    """The right-hand side of an ORM `__in` lookup holding `values` (in database form) as one
    bound parameter: `filter(person_id__in=id_set_in(connection, ids))`."""
    from django.db.models.expressions import RawSQL

    if connection.vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(values)])
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s)", [list(values)])
    return values
