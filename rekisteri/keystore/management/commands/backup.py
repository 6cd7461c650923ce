"""`rekisteri backup DEST`: a consistent snapshot of the register database, without keys."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from rekisteri.audit.actor import Actor
from rekisteri.keystore.backup import BackupError, backup_register, human_size

VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL, pg_dump custom format"}


class Command(BaseCommand):
    help = (
        "Write a consistent online snapshot of the register database to DEST (a file, or a directory "
        "for a timestamped file): SQLite via VACUUM INTO, PostgreSQL via pg_dump --format=custom. The "
        "server may keep running. The backup holds personal data only as ciphertext and no keys: back "
        "up the key store separately with `rekisteri backup-keys`. Restore with `rekisteri restore`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "dest", metavar="DEST", help="The backup file to write, or an existing directory."
        )
        parser.add_argument("--force", action="store_true", help="Overwrite DEST if it exists.")

    def handle(self, *args, dest: str, force: bool, **options):
        try:
            result = backup_register(Path(dest), actor=Actor.system("cli:backup", origin="cli"), force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        except DatabaseError as exc:
            raise CommandError(f"Cannot read the register database: {exc}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Register backup written to {result.path} ({human_size(result.size)}; "
                f"{VENDOR_NAMES[result.vendor]}; audit trail up to event {result.audit_head_seq})."
            )
        )
        self.stdout.write(
            "It holds no keys: back up the key store with `rekisteri backup-keys`, and keep the master "
            "key apart from both backups."
        )
