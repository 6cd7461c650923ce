"""AuditSubject.event without a foreign-key constraint in the database (see the model).

On PostgreSQL this drops the constraint. SQLite cannot drop a constraint: Django copies the
table into a new one, which would come without the append-only triggers; they are dropped
before the copy and created again after it.
"""

from importlib import import_module

import django.db.models.deletion
from django.db import migrations, models

_triggers = import_module("rekisteri.audit.migrations.0002_append_only_triggers")


def _sqlite_triggers(action):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in action(schema_editor.connection.vendor):
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_head_prev_hash"),
    ]

    operations = [
        migrations.RunPython(_sqlite_triggers(_triggers.drop_sql), _sqlite_triggers(_triggers.create_sql)),
        migrations.AlterField(
            model_name="auditsubject",
            name="event",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="subjects",
                to="audit.auditevent",
            ),
        ),
        migrations.RunPython(_sqlite_triggers(_triggers.create_sql), _sqlite_triggers(_triggers.drop_sql)),
    ]
