"""`rekisteri migrate` migrates the key store's database as well as the register's.

Personal values cannot be written before the key store has its tables, so a plain
`migrate` (database "default") first migrates "keystore". With --database it migrates
just that one, and Django's test-database set-up (which passes run_syncdb) is left alone,
since at that point the other alias may still name a real database.
"""

from django.conf import settings
from django.core.management.commands.migrate import Command as DjangoMigrate

from rekisteri.keystore.router import KEYSTORE_DB


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
            super().handle(**keystore_options)
            if options["verbosity"] >= 1:
                self.stdout.write(self.style.MIGRATE_HEADING("Register database:"))
        return super().handle(*args, **options)
