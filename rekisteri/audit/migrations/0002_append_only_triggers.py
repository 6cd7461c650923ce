"""Make the audit tables append-only in the database itself, not just in the ORM.

Anyone with DDL rights can drop these triggers; that is what the hash chain and the
external checkpoints are for. The triggers stop accidents and ordinary SQL access.
"""

from django.db import migrations

TABLES = ["audit_auditevent", "audit_auditsubject"]


def create_sql(vendor):
    statements = []
    for table in TABLES:
        if vendor == "sqlite":
            for op in ("UPDATE", "DELETE"):
                statements.append(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;"
                )
        elif vendor == "postgresql":
            statements.append(
                "CREATE OR REPLACE FUNCTION rekisteri_audit_append_only() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql;"
            )
            statements.append(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION rekisteri_audit_append_only();"
            )


    return statements


def drop_sql(vendor):
    statements = []
    for table in TABLES:
        if vendor == "sqlite":
            for op in ("update", "delete"):
                statements.append(f"DROP TRIGGER IF EXISTS {table}_no_{op}")
        elif vendor == "postgresql":
            statements.append(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    if vendor == "postgresql":
        statements.append("DROP FUNCTION IF EXISTS rekisteri_audit_append_only()")
    return statements


def create(apps, schema_editor):
    for statement in create_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    for statement in drop_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
