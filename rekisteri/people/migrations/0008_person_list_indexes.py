"""Indexes for the person list's filters and sorts (see the comments in people/models.py).

The organization's own index gives way to one that also orders each organization's persons
newest first. The last-contact index is built NULLS FIRST on PostgreSQL, where NULL
otherwise sorts last in ascending order: both databases then read it in either direction
for "last contact" with the never contacted at the old end (SQLite orders NULL first and
takes no NULLS clause in CREATE INDEX).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

LAST_CONTACT_INDEX = "person_last_contact_idx"


def create_last_contact_index(apps, schema_editor):
    nulls = " NULLS FIRST" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"CREATE INDEX {LAST_CONTACT_INDEX} ON people_person (last_activity_at{nulls}, id)")


def drop_last_contact_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX {LAST_CONTACT_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0002_initial"),
        ("people", "0007_person_redirect_and_merge_permission"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="person",
            name="person_last_activity_idx",
        ),
        migrations.AlterField(
            model_name="person",
            name="organization",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="people",
                to="organizations.organization",
            ),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["organization", "-created_at"], name="person_org_created_idx"),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="person",
                    index=models.Index(fields=["last_activity_at", "id"], name=LAST_CONTACT_INDEX),
                ),
            ],
            database_operations=[
                migrations.RunPython(create_last_contact_index, drop_last_contact_index),
            ],
        ),
    ]
