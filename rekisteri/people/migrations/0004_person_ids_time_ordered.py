"""New persons get time-ordered (version 7) ids; see rekisteri.lib.ids.

The default lives in Python only, so the database is not touched (on SQLite an AlterField
would copy the whole person table for nothing). Existing ids stay as they are.
"""

from django.db import migrations, models

import rekisteri.lib.ids


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0003_person_restriction_and_objection"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="person",
                    name="id",
                    field=models.UUIDField(
                        default=rekisteri.lib.ids.uuid7, editable=False, primary_key=True, serialize=False
                    ),
                ),
            ],
        ),
    ]
