"""One index entry per name form (prefix codes) under a composite primary key.

The entries change meaning, so the table is rebuilt empty and every existing person is
indexed again from their decrypted values. On SQLite the table becomes WITHOUT ROWID: the
primary key is the only B-tree an entry is written to.
"""

import django.db.models.deletion
from django.db import migrations, models

from rekisteri.encryption.migrate_helpers import reindex_all_persons, sqlite_table_without_rowid

TABLE = "encryption_searchterm"


# Recreates the (still empty) table as WITHOUT ROWID, keeping Django's own DDL.
sqlite_without_rowid = sqlite_table_without_rowid(TABLE)


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
