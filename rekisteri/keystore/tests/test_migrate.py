"""`rekisteri migrate` on the key store's database: its own tables, every migration recorded.

The command applies only the key store's migrations there and records the other apps' as
applied, as Django's own migrate would after finding that the router lets none of them touch
that database (rekisteri/keystore/management/commands/migrate.py).
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from rekisteri.keystore.models import DataKey, ErasureTombstone, IndexKey, KeyCheck
from rekisteri.keystore.router import KEYSTORE_DB

pytestmark = pytest.mark.django_db(databases="__all__")


def _tables(alias: str) -> set[str]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def test_the_key_store_holds_its_own_tables_and_records_every_migration():
    # The test databases were made by this command (Django's test set-up calls migrate).
    keystore_tables = {model._meta.db_table for model in (DataKey, ErasureTombstone, IndexKey, KeyCheck)}
    assert _tables(KEYSTORE_DB) - {"sqlite_sequence"} == keystore_tables | {"django_migrations"}
    assert not keystore_tables & _tables("default")
    executor = MigrationExecutor(connections[KEYSTORE_DB])
    recorded = set(MigrationRecorder(connections[KEYSTORE_DB]).applied_migrations())
    assert recorded == set(executor.loader.graph.nodes)
    # Nothing is left to apply, on either database.
    for alias in ("default", KEYSTORE_DB):
        executor = MigrationExecutor(connections[alias])
        assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []


def test_migrating_again_changes_nothing_and_a_check_finds_nothing_unapplied():
    before = set(MigrationRecorder(connections[KEYSTORE_DB]).applied_migrations())
    out = io.StringIO()
    call_command("migrate", database=KEYSTORE_DB, interactive=False, stdout=out)
    assert "No migrations to apply" in out.getvalue()
    assert set(MigrationRecorder(connections[KEYSTORE_DB]).applied_migrations()) == before
    # --check is Django's own: it exits non-zero only when something is unapplied.
    call_command("migrate", database=KEYSTORE_DB, check_unapplied=True, stdout=io.StringIO())


def test_a_migration_the_key_store_never_saw_is_recorded_without_running():
    # As after `restore --keys` of a backup older than a migration of another app.
    recorder = MigrationRecorder(connections[KEYSTORE_DB])
    recorder.record_unapplied("people", "0011_person_restricted_idx")
    call_command("migrate", database=KEYSTORE_DB, interactive=False, verbosity=0)
    assert ("people", "0011_person_restricted_idx") in recorder.applied_migrations()
    assert not {"people_person"} & _tables(KEYSTORE_DB)
