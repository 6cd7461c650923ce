"""`rekisteri audit`: verify the keyed audit chain and write signed checkpoints of its head."""

from __future__ import annotations

import base64
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from rekisteri.audit.keys import AuditKeyError, audit_keys
from rekisteri.audit.services import VerifyResult, audit_checkpoint, audit_verify


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
        "Check the audit trail. `audit verify` walks the keyed chain (HMAC under the audit key), "
        "checks the head's seal and compares the trail with every signed checkpoint kept outside "
        "the database; it exits non-zero and names the first bad event or the failing check when "
        "anything was changed, removed, inserted or wiped, or a checkpoint was edited. `audit "
        "checkpoint` appends a signed checkpoint of the head to the checkpoint file (the worker "
        "does so by itself every five minutes while the trail grows). `audit public-key` prints "
        "the checkpoint signing keys' public halves, for checking copies elsewhere."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(
            dest="action", metavar="{verify,checkpoint,public-key}", required=True
        )
        verify = actions.add_parser("verify", help="Verify the chain and the checkpoints.")
        verify.add_argument(
            "--checkpoint-file",
            type=Path,
            help="Compare with this copy of the checkpoints (e.g. collected from syslog) instead of "
            "REKISTERI_AUDIT_CHECKPOINT_FILE.",
        )
        checkpoint = actions.add_parser("checkpoint", help="Write a signed checkpoint of the chain head.")
        checkpoint.add_argument(
            "--skip-verify",
            action="store_true",
            help="Do not verify the chain first (a checkpoint of a broken chain would vouch for it).",
        )
        actions.add_parser("public-key", help="Print the checkpoint signing keys' public keys (Ed25519).")

    def handle(self, *args, action: str, **options):
        if action == "public-key":
            return self._public_keys()
        if action == "verify":
            path = options["checkpoint_file"] or settings.AUDIT_CHECKPOINT_FILE
            if options["checkpoint_file"] and not path.is_file():
                raise CommandError(f"{path} is not a file.")
            with _consistent_snapshot():
                result = self._verify(path)
            self.stdout.write(
                self.style.SUCCESS(
                    f"The audit trail is intact: {result.events_checked} event(s) checked, head at event "
                    f"{result.head_seq}."
                )
            )
            if result.checkpoints:
                self.stdout.write(f"{result.checkpoints} checkpoint(s) in {path} agree.")
            else:
                self.stdout.write(
                    self.style.WARNING(
                        f"No checkpoints in {path} yet: `rekisteri worker` writes one every five minutes "
                        "while the trail grows, or run `rekisteri audit checkpoint`."
                    )
                )
        else:
            # One snapshot: the head written is the head just verified, not a later one.
            try:
                with _consistent_snapshot():
                    if not options["skip_verify"]:
                        self._verify(settings.AUDIT_CHECKPOINT_FILE)
                    checkpoint = audit_checkpoint()
            except AuditKeyError as exc:
                raise CommandError(f"No checkpoint was written: {exc}.") from None
            except OSError as exc:
                raise CommandError(
                    f"No checkpoint was written to {settings.AUDIT_CHECKPOINT_FILE}: {exc}"
                ) from None
            self.stdout.write(
                self.style.SUCCESS(
                    f"Signed checkpoint written to {settings.AUDIT_CHECKPOINT_FILE}: event {checkpoint.seq}, "
                    f"hash {checkpoint.head}, audit key {checkpoint.key_id}."
                )
            )

    def _verify(self, path: Path) -> VerifyResult:
        result = audit_verify(checkpoint_file=path)
        if result.ok:
            return result
        if result.first_bad_seq is None:
            raise CommandError(f"The audit trail cannot be verified: {result.problem}.")
        raise CommandError(
            f"The audit trail is broken at event {result.first_bad_seq}: {result.problem}. "
            f"{result.events_checked} event(s) before it verified."
        )

    def _public_keys(self) -> None:
        try:
            keys = audit_keys()
        except AuditKeyError as exc:
            raise CommandError(str(exc)) from None
        for key_id in keys.key_ids:
            public = base64.b64encode(keys.get(key_id).public_key_bytes()).decode("ascii")
            self.stdout.write(f"{key_id} ed25519 {public}")
