"""`rekisteri audit`: verify the hash-chained audit trail and checkpoint its head."""

from __future__ import annotations

from contextlib import contextmanager

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from rekisteri.audit.services import VerifyResult, audit_checkpoint, audit_verify, read_checkpoints


@contextmanager
def _consistent_snapshot():
    """On PostgreSQL, read the whole trail from one snapshot, without blocking writers.

    SQLite gets no transaction here: its IMMEDIATE transactions take the write lock, and a
    long verification must not make the server's writes wait.
    """
    # Inside a caller's transaction (tests, call_command) the caller's snapshot rules apply.
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield
    else:
        yield


class Command(BaseCommand):
    help = (
        "Check the audit trail. `audit verify` walks the hash chain and compares it with the "
        "checkpoints kept outside the database; it exits non-zero and names the first bad event "
        "when anything was changed, removed or inserted. `audit checkpoint` appends the current "
        "head (sequence number and hash) to the checkpoint file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="{verify,checkpoint}", required=True)
        actions.add_parser("verify", help="Verify the chain and the checkpoints.")
        checkpoint = actions.add_parser("checkpoint", help="Write the chain head to the checkpoint file.")
        checkpoint.add_argument(
            "--skip-verify",
            action="store_true",
            help="Do not verify the chain first (a checkpoint of a broken chain would vouch for it).",
        )

    def handle(self, *args, action: str, **options):
        if action == "verify":
            with _consistent_snapshot():
                result = self._verify()
            checkpoints = self._checkpoint_count()
            self.stdout.write(
                self.style.SUCCESS(
                    f"The audit trail is intact: {result.events_checked} event(s) checked, head at event "
                    f"{result.head_seq}."
                )
            )
            if checkpoints:
                self.stdout.write(f"{checkpoints} checkpoint(s) in {settings.AUDIT_CHECKPOINT_FILE} agree.")
            else:
                self.stdout.write(
                    self.style.WARNING(
                        "No checkpoints yet: without one, removing the newest events goes unnoticed. "
                        "Run `rekisteri audit checkpoint` regularly (e.g. hourly from cron)."
                    )
                )
        else:
            # One snapshot: the head written is the head just verified, not a later one.
            with _consistent_snapshot():
                if not options["skip_verify"]:
                    self._verify()
                entry = audit_checkpoint()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Checkpoint written to {settings.AUDIT_CHECKPOINT_FILE}: event {entry['seq']}, "
                    f"hash {entry['hash']}."
                )
            )

    def _verify(self) -> VerifyResult:
        try:
            result = audit_verify()
        except ValueError as exc:  # a malformed checkpoint file
            raise CommandError(f"Cannot read the checkpoints: {exc}") from None
        if not result.ok:
            raise CommandError(
                f"The audit trail is broken at event {result.first_bad_seq}: {result.problem}. "
                f"{result.events_checked} event(s) before it verified."
            )
        return result

    def _checkpoint_count(self) -> int:
        return len(read_checkpoints(settings.AUDIT_CHECKPOINT_FILE))
