"""Test helper: act as a database administrator who bypasses the audit trail's triggers."""

from __future__ import annotations

from contextlib import contextmanager
from importlib import import_module

from django.db import connection

_events = import_module("rekisteri.audit.migrations.0002_append_only_triggers")
_head = import_module("rekisteri.audit.migrations.0006_keyed_chain")


def drop_trigger_sql(vendor: str) -> list[str]:
    """Every statement that drops the audit triggers (append-only events, forward-only head)."""
    return _events.drop_sql(vendor) + _head.head_trigger_drop_sql(vendor)


def create_trigger_sql(vendor: str) -> list[str]:
    return _events.create_sql(vendor) + _head.head_trigger_sql(vendor)


@contextmanager
def append_only_triggers_dropped():
    """Drop the audit triggers for the block, as an attacker with DDL rights could."""
    with connection.cursor() as cursor:
        for statement in drop_trigger_sql(connection.vendor):
            cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in create_trigger_sql(connection.vendor):
                cursor.execute(statement)
