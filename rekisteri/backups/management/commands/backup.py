"""`rekisteri backup DEST [--keys]`: a consistent snapshot of the register database (without
keys), or with --keys of the key store, as `rekisteri restore [--keys]` puts them back."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from rekisteri.audit.actor import Actor
from rekisteri.backups.common import BackupError, human_size
from rekisteri.backups.snapshot import BackupResult, backup_keys, backup_register

VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL, pg_dump custom format"}


def add_backup_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "dest",
        metavar="DEST",
        help="The backup file to write, or a directory for a timestamped file (a name ending in / is "
        "a directory, created if missing).",
    )
    parser.add_argument("--force", action="store_true", help="Overwrite DEST if it exists.")


def write_key_backup(command: BaseCommand, dest: str, force: bool, label: str) -> None:
    try:
        result = backup_keys(dest, actor=Actor.system(label, origin="cli"), force=force)
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    except DatabaseError as exc:
        raise CommandError(f"Cannot read the key store database: {exc}") from None
    command.stdout.write(
        command.style.SUCCESS(
            f"Key-store backup written to {result.path} ({human_size(result.size)}; "
            f"{VENDOR_NAMES[result.vendor]}; {result.counts['data_keys']} data key(s), "
            f"{result.counts['tombstones']} erasure tombstone(s))."
        )
    )
    command.stdout.write(
        command.style.WARNING(
            "This file holds every person's wrapped data key, including keys of persons erased "
            "later. Keep key backups for days, not months, store them apart from the register "
            "backups, and never next to the master key."
        )
    )


class Command(BaseCommand):
    help = (
        "Write a consistent online snapshot of the register database to DEST (a file, or a directory "
        "for a timestamped file): SQLite via VACUUM INTO, PostgreSQL via pg_dump --format=custom. The "
        "server may keep running. The backup holds personal data only as ciphertext and no keys. With "
        "--keys, back up the key store instead (wrapped data keys and the erasure journal; useless "
        "without the master key). Restore with `rekisteri restore [--keys]`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_backup_arguments(parser)
        parser.add_argument(
            "--keys", action="store_true", help="Back up the key store instead of the register."
        )

    def handle(self, *args, dest: str, force: bool, keys: bool, **options):
        if keys:
            write_key_backup(self, dest, force, "cli:backup-keys")
            return
        try:
            result: BackupResult = backup_register(
                dest, actor=Actor.system("cli:backup", origin="cli"), force=force
            )
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
            "It holds no keys: back up the key store with `rekisteri backup --keys`, and keep the master "
            "key apart from both backups."
        )
