"""`rekisteri restore SRC`: put a register (or, with --keys, a key-store) backup back in place.

Restores respect erasure: persons erased after the backup was taken stay erased (the erasure
journal in the key store is replayed, and an old key backup never brings an erased person's
key back).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from rekisteri.audit.actor import Actor
from rekisteri.backups.common import BackupError
from rekisteri.backups.restore_keys import KeysRestore, restore_keys
from rekisteri.backups.restore_register import RegisterRestore, restore_register


class Command(BaseCommand):
    help = (
        "Restore the register database from a backup made by `rekisteri backup` and replay the "
        "erasure journal, so persons erased after the backup stay erased; the audit trail rolls back "
        "to the backup's head and a 'restore' event records it. With --keys, restore the key store "
        "from a `rekisteri backup --keys` file, keeping every erasure made since. On a new machine: "
        "set REKISTERI_MASTER_KEY, restore the keys first, then the register. Stop `rekisteri serve` "
        "and the task workers first, and restart them afterwards."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src", metavar="SRC", help="The backup file.")
        parser.add_argument(
            "--keys", action="store_true", help="SRC is a key-store backup: restore the key store."
        )
        parser.add_argument(
            "--yes", action="store_true", help="Confirm replacing a database that already holds data."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would be replaced; change nothing."
        )

    def handle(self, *args, src: str, keys: bool, yes: bool, dry_run: bool, **options):
        actor = Actor.system("cli:restore", origin="cli")
        try:
            if keys:
                report = restore_keys(Path(src), actor=actor, replace=yes, dry_run=dry_run)
            else:
                report = restore_register(Path(src), actor=actor, replace=yes, dry_run=dry_run)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        except DatabaseError as exc:
            raise CommandError(f"The database cannot be used: {exc}") from None
        if dry_run:
            self.stdout.write(report.describe())
            self.stdout.write("Dry run: nothing was changed.")
        elif isinstance(report, KeysRestore):
            self._keys_done(report)
        else:
            self._register_done(report)

    def _replayed(self, repaired: list[str], replayed: list[str]) -> None:
        if repaired:
            self.stdout.write(
                f"{len(repaired)} person(s) erased according to the audit trail were missing from the "
                "erasure journal: their tombstones are back and their keys destroyed."
            )
        self.stdout.write(
            f"Erasure journal replayed: {len(replayed)} person(s) erased after the backup were removed again."
        )

    def _keys_done(self, report: KeysRestore) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                f"Key store restored from {report.source} into {report.target}: "
                f"{report.backup_keys - report.keys_dropped + report.live_keys_kept} data key(s)."
            )
        )
        self.stdout.write(
            f"Kept {report.tombstones_merged} tombstone(s) of erasures made after the backup, dropped "
            f"{report.keys_dropped} key(s) of erased persons, kept {report.live_keys_kept} key(s) of "
            "persons added after the backup. The master key unwraps the restored keys."
        )
        if report.register_ready:
            self._replayed(report.journal_repaired, report.replayed)
        else:
            self.stdout.write(
                "The register database is not in place yet: restore it next with `rekisteri restore BACKUP`."
            )

    def _register_done(self, report: RegisterRestore) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                f"Register restored from {report.source} into {report.target}: {report.persons_after} "
                f"person(s)."
            )
        )
        if report.migrations_applied:
            self.stdout.write(f"Applied {report.migrations_applied} migration(s) the backup predates.")
        self._replayed(report.journal_repaired, report.replayed)
        if report.live_head_seq > report.backup_head_seq:
            self.stdout.write(
                self.style.WARNING(
                    f"The audit trail was rolled back from event {report.live_head_seq} to the backup's "
                    f"event {report.backup_head_seq}; the 'restore' audit event records this."
                )
            )
        if report.checkpoints_archived is not None:
            self.stdout.write(
                self.style.WARNING(
                    f"Checkpoints of the trail before the restore were moved to "
                    f"{report.checkpoints_archived} (kept, not deleted); a new checkpoint file was started."
                )
            )
        if report.persons_without_key:
            self.stdout.write(
                self.style.WARNING(
                    f"{report.persons_without_key} person(s) have no data key in the key store, so their "
                    "data cannot be read: restore a key backup at least as new as this register backup "
                    "(`rekisteri restore --keys`)."
                )
            )
        if report.key_problem:
            self.stdout.write(self.style.WARNING(f"The key store cannot be used yet: {report.key_problem}."))
        verify = report.verify
        if not verify.ok:
            raise CommandError(
                f"The register was restored, but its audit trail does not verify at event "
                f"{verify.first_bad_seq}: {verify.problem}."
            )
        self.stdout.write(
            f"Audit trail verified: {verify.events_checked} event(s), head at event {verify.head_seq}."
        )
