"""`rekisteri migrate` migrates the key store's database as well as the register's.

Personal values cannot be written before the key store has its tables, so a plain
`migrate` (database "default") first migrates "keystore". With --database it migrates
just that one, and Django's test-database set-up (which passes run_syncdb) is left alone,
since at that point the other alias may still name a real database.
"""

from django.conf import settings
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from rekisteri.keystore.router import KEYSTORE_APP, KEYSTORE_DB


class Command(DjangoMigrate):
    help = "Update the database schemas: the key store first, then the register (or --database only)."

    def handle(self, *args, **options):
        if (
            options["database"] == "default"
            and not options.get("run_syncdb")
            and KEYSTORE_DB in settings.DATABASES
        ):
            keystore_options = {**options, "database": KEYSTORE_DB, "app_label": None, "migration_name": None}
            if options["verbosity"] >= 1:
                self.stdout.write(self.style.MIGRATE_HEADING("Key store database:"))
            self._migrate_keystore(keystore_options)
            if options["verbosity"] >= 1:
                self.stdout.write(self.style.MIGRATE_HEADING("Register database:"))
        elif options["database"] == KEYSTORE_DB and not options.get("app_label"):
            return self._migrate_keystore(options)
        return super().handle(*args, **options)

    def _migrate_keystore(self, options) -> None:
        """Apply the key store's own migrations there, and record every other app's as applied.

        The router lets no other app's operation (tables, RunPython, RunSQL) touch the key
        store's database, so applying those migrations there does nothing but record them,
        yet Django renders every app's model state for each of them to find that out: half of
        a migration from nothing. Recording them directly leaves the same tables and the same
        django_migrations rows. A plan, a check or a prune is Django's own.
        """
        if options.get("plan") or options.get("check_unapplied") or options.get("prune"):
            super().handle(**options)
            return
        super().handle(**{**options, "app_label": KEYSTORE_APP, "migration_name": None, "run_syncdb": False})
        connection = connections[KEYSTORE_DB]
        recorder = MigrationRecorder(connection)
        applied = set(recorder.applied_migrations())
        graph = MigrationLoader(connection, ignore_no_migrations=True).graph
        others = [key for key in graph.leaf_nodes() if key[0] != KEYSTORE_APP]
        pending = dict.fromkeys(key for leaf in others for key in graph.forwards_plan(leaf))
        # A squashed migration is recorded with the ones it replaces, as Django records it.
        for key in list(pending):
            pending.update(dict.fromkeys(graph.nodes[key].replaces))
        recorder.migration_qs.bulk_create(
            [recorder.Migration(app=app, name=name) for app, name in pending if (app, name) not in applied]
        )
