"""Many rows into one table in one round trip, below the ORM (imports, the audit trail).

Django's bulk_create spends more time building SQL than the database spends storing the
rows; callers here pass values already in database form (get_db_prep_save).

On SQLite, pass blobs as bytearray, not bytes: Python's sqlite3 module (3.11) binds str,
int, float and bytearray directly but looks every other type up in its adapter registry,
a failing attribute lookup included, for each value. A person row has five or six
ciphertexts and as many empty columns, so the lookups were half of its insert time
(figures: benchmarks/README.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from operator import itemgetter

_TYPE_MODIFIERS = re.compile(r"\(.*\)")


def prepared_value(connection):
    """`prepare(field, value)`: the value in database form (get_db_prep_save, a field's
    default for None), remembered per field and value. A batch's rows mostly repeat the same
    kind, campaign, state and time, and Django's conversion costs microseconds a call: a
    dict lookup instead (measured in benchmarks/README.md, the campaign's queue phase)."""
    seen: dict = {}

    def prepare(field, value):
        if value is None:
            value = field.get_default()
        try:
            key = (field.attname, type(value), value)
            return seen[key]
        except KeyError:
            pass
        except TypeError:  # not hashable (a list, a dict): converted every time
            return field.get_db_prep_save(value, connection)
        prepared = field.get_db_prep_save(value, connection)
        if not field.primary_key and not field.unique:  # unique values never repeat
            seen[key] = prepared
        return prepared

    return prepare


def insert_rows(connection, model, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    """Insert `rows` (values for `columns` of `model`'s table, in database form).

    PostgreSQL: binary COPY, which the server parses at about twice the speed of text (a
    register's rows are mostly bytea ciphertext, hex-encoded in text). SQLite: executemany,
    leaving out the nullable columns that are NULL in every row (see the module's note).
    """
    if not rows:
        return
    table = model._meta.db_table
    if connection.vendor == "sqlite":
        columns, rows = _without_null_columns(model, columns, rows)
    column_list = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            fields = {field.column: field for field in model._meta.concrete_fields}
            types = [_TYPE_MODIFIERS.sub("", fields[column].db_type(connection)) for column in columns]
            with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})", rows)


def _without_null_columns(
    model, columns: Sequence[str], rows: Sequence[Sequence]
) -> tuple[Sequence[str], Sequence[Sequence]]:
    """The columns and rows without the columns that are NULL in every row.

    Only nullable columns without a database default: leaving one out stores NULL, what
    the rows say. A person's restriction dates and reasons, its last activity and the
    fields an import does not fill are such columns.
    """
    fields = {field.column: field for field in model._meta.concrete_fields}
    keep = []
    for index, column in enumerate(columns):
        field = fields[column]
        if rows[0][index] is None and field.null and not field.has_db_default():
            if list(map(itemgetter(index), rows)).count(None) == len(rows):  # counted in C
                continue
        keep.append(index)
    if len(keep) == len(columns):
        return columns, rows
    if not keep:  # every column NULL: one column is still needed for a valid INSERT
        keep = [0]
    pick = itemgetter(*keep)
    if len(keep) == 1:
        return [columns[keep[0]]], [(pick(row),) for row in rows]
    return [columns[index] for index in keep], [pick(row) for row in rows]
