"""Test helper: act as a database administrator who bypasses the append-only triggers."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection


@contextmanager
def append_only_triggers_dropped():
    """Drop the audit triggers for the block, as an attacker with DDL rights could."""
    from importlib import import_module

    migration = import_module("rekisteri.audit.migrations.0002_append_only_triggers")
    with connection.cursor() as cursor:
        for statement in migration.drop_sql(connection.vendor):
            cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in migration.create_sql(connection.vendor):
                cursor.execute(statement)
