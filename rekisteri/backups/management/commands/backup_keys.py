"""`rekisteri backup-keys DEST`: the same as `rekisteri backup --keys DEST`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from rekisteri.backups.management.commands.backup import add_backup_arguments, write_key_backup


class Command(BaseCommand):
    help = (
        "The same as `rekisteri backup --keys DEST`: a consistent online snapshot of the key store "
        "(wrapped data keys and the erasure journal). Keep key backups for a short time only: they "
        "still hold the keys of persons erased after they were taken. Restore with "
        "`rekisteri restore --keys`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_backup_arguments(parser)

    def handle(self, *args, dest: str, force: bool, **options):
        write_key_backup(self, dest, force, "cli:backup-keys")
