"""AuditSubject.id as SQLite's plain rowid, without AUTOINCREMENT (see RowIdAutoField).

SQLite copies the table into a new one, which would come without the append-only triggers:
they are dropped before the copy and created again after it, as in 0004. PostgreSQL's
column stays what it was.
"""

from importlib import import_module

from django.db import migrations

import rekisteri.db.fields

_triggers = import_module("rekisteri.audit.migrations.0002_append_only_triggers")
_subject_constraint = import_module("rekisteri.audit.migrations.0004_subject_event_no_constraint")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_subject_event_no_constraint"),
    ]

    operations = [
        migrations.RunPython(
            _subject_constraint._sqlite_triggers(_triggers.drop_sql),
            _subject_constraint._sqlite_triggers(_triggers.create_sql),
        ),
        migrations.AlterField(
            model_name="auditsubject",
            name="id",
            field=rekisteri.db.fields.RowIdAutoField(primary_key=True, serialize=False),
        ),
        migrations.RunPython(
            _subject_constraint._sqlite_triggers(_triggers.create_sql),
            _subject_constraint._sqlite_triggers(_triggers.drop_sql),
        ),
    ]
