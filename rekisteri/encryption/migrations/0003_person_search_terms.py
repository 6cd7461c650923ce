"""Each person's list of blind-index entries (PersonSearchTerms); no index of entries by person.

The lists are built from the entries already stored, grouped by person through the old
index, which is dropped after that. The entry table itself is left alone: on SQLite
Django would copy it into a new table for the changed field and lose WITHOUT ROWID, so the
index is dropped by name. The new table is WITHOUT ROWID on SQLite too.
"""

import django.db.models.deletion
from django.db import migrations, models

from rekisteri.encryption.migrate_helpers import sqlite_table_without_rowid

PERSON_INDEX = "encryption_searchterm_person_id_c8719289"


def lists_from_entries(apps, schema_editor):
    from rekisteri.encryption.services import pack_terms

    SearchTerm = apps.get_model("encryption", "SearchTerm")
    PersonSearchTerms = apps.get_model("encryption", "PersonSearchTerms")
    db = schema_editor.connection.alias
    entries = (
        SearchTerm.objects.using(db).order_by("person_id", "kind", "term").values_list("person_id", "kind", "term")
    )
    records, person, terms = [], None, []
    for person_id, kind, term in entries.iterator(chunk_size=10_000):
        if person_id != person:
            if terms:
                records.append(PersonSearchTerms(person_id=person, terms=pack_terms(terms)))
            person, terms = person_id, []
        terms.append((kind, term))
        if len(records) >= 5_000:
            PersonSearchTerms.objects.using(db).bulk_create(records)
            records = []
    if terms:
        records.append(PersonSearchTerms(person_id=person, terms=pack_terms(terms)))
    PersonSearchTerms.objects.using(db).bulk_create(records)


class Migration(migrations.Migration):
    dependencies = [
        ("encryption", "0002_search_term_prefix_codes"),
        ("people", "0006_person_creator_unindexed_category_id_plain_rowid"),
    ]

    operations = [
        migrations.CreateModel(
            name="PersonSearchTerms",
            fields=[
                (
                    "person",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="people.person",
                    ),
                ),
                ("terms", models.BinaryField()),
            ],
        ),
        migrations.RunPython(sqlite_table_without_rowid("encryption_personsearchterms"), migrations.RunPython.noop),
        migrations.RunPython(lists_from_entries, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="searchterm",
                    name="person",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="people.person",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX {PERSON_INDEX}",
                    f"CREATE INDEX {PERSON_INDEX} ON encryption_searchterm (person_id)",
                ),
            ],
        ),
    ]
