"""`rekisteri backup-keys DEST`: a consistent snapshot of the key store, apart from the register."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from rekisteri.audit.actor import Actor
from rekisteri.keystore.backup import BackupError, backup_keys, human_size
from rekisteri.keystore.management.commands.backup import VENDOR_NAMES


class Command(BaseCommand):
    help = (
        "Write a consistent online snapshot of the key store (wrapped data keys and the erasure "
        "journal) to DEST (a file, or a directory for a timestamped file). It is useless without the "
        "master key, which it does not contain. Keep key backups for a short time only: they still "
        "hold the keys of persons erased after they were taken. Restore with `rekisteri restore --keys`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "dest", metavar="DEST", help="The backup file to write, or an existing directory."
        )
        parser.add_argument("--force", action="store_true", help="Overwrite DEST if it exists.")

    def handle(self, *args, dest: str, force: bool, **options):
        try:
            result = backup_keys(Path(dest), actor=Actor.system("cli:backup-keys", origin="cli"), force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        except DatabaseError as exc:
            raise CommandError(f"Cannot read the key store database: {exc}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Key-store backup written to {result.path} ({human_size(result.size)}; "
                f"{VENDOR_NAMES[result.vendor]}; {result.counts['data_keys']} data key(s), "
                f"{result.counts['tombstones']} erasure tombstone(s))."
            )
        )
        self.stdout.write(
            self.style.WARNING(
                "This file holds every person's wrapped data key, including keys of persons erased "
                "later. Keep key backups for days, not months, store them apart from the register "
                "backups, and never next to the master key."
            )
        )
