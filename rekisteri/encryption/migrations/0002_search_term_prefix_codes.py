"""One index entry per name form (prefix codes) under a composite primary key.

The entries change meaning, so the table is rebuilt empty and every existing person is
indexed again from their decrypted values. On SQLite the table becomes WITHOUT ROWID: the
primary key is the only B-tree an entry is written to.
"""

import django.db.models.deletion
from django.db import migrations, models

from rekisteri.encryption.migrate_helpers import reindex_all_persons

TABLE = "encryption_searchterm"


def sqlite_without_rowid(apps, schema_editor):
    """Recreate the (still empty) table as WITHOUT ROWID, keeping Django's own DDL."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT type, sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL", [TABLE])
        statements = cursor.fetchall()
        table_sql = next(sql for kind, sql in statements if kind == "table")
        index_sqls = [sql for kind, sql in statements if kind == "index"]
        cursor.execute(f'DROP TABLE "{TABLE}"')
        cursor.execute(f"{table_sql} WITHOUT ROWID")
        for sql in index_sqls:
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("encryption", "0001_initial"),
        ("people", "0003_person_restriction_and_objection"),
    ]

    operations = [
        migrations.DeleteModel(name="SearchTerm"),
        migrations.CreateModel(
            name="SearchTerm",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "kind", "term", "person", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "kind",
                    models.PositiveSmallIntegerField(
                        choices=[(1, "Email"), (2, "Phone"), (3, "Name"), (4, "Name Word")]
                    ),
                ),
                ("term", models.BigIntegerField()),
                (
                    "person",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="people.person",
                    ),
                ),
            ],
        ),
        migrations.RunPython(sqlite_without_rowid, migrations.RunPython.noop),
        migrations.RunPython(reindex_all_persons, migrations.RunPython.noop),
    ]
