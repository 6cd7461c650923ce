"""`rekisteri keys`: generate, rotate, inspect and check the master keys.

The master key only wraps the persons' data keys (rekisteri.lib.crypto), so rotating it
rewraps data keys and never touches a field ciphertext. Nothing here prints key material
except `keys generate`, whose whole job is to print one new key.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.db.models import Count

from rekisteri.audit.actor import Actor
from rekisteri.keystore.models import DataKey, ErasureTombstone, IndexKey, KeyCheck
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.keystore.services import (
    KeystoreError,
    keys_rotate,
    keystore_verify,
    load_master_ring,
    reset_state,
)
from rekisteri.lib import crypto

RESTART_NOTE = (
    "Restart `rekisteri serve` and the task workers now: running processes keep the master "
    "keys they started with."
)


def _new_key_argument(value: str) -> crypto.MasterKey:
    """--new-key ID:KEY, or "-" to read it from standard input (keeps it out of `ps` and shell history)."""
    if value == "-":
        value = sys.stdin.readline()
    try:
        return crypto.parse_master_key(value)
    except crypto.InvalidMasterKey as exc:
        raise CommandError(f"--new-key: {exc}") from None


class Command(BaseCommand):
    help = (
        "Manage the master key that wraps every person's data key. `keys generate` prints a new "
        "key (ID:KEY) for REKISTERI_MASTER_KEY. `keys rotate` rewraps every data key under a new "
        "master key without re-encrypting any data; afterwards the old key is no longer needed. "
        "`keys status` shows key ids and counts (never key material). `keys check` verifies the "
        "configured master key against the key store and exits non-zero if it is wrong or missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(
            dest="action", metavar="{generate,rotate,status,check}", required=True
        )
        generate = actions.add_parser("generate", help="Print a new random master key as ID:KEY.")
        generate.add_argument(
            "--id",
            dest="key_id",
            help="The key id (1-64 letters, digits, '.', '_', '-'); default: today's date and random hex.",
        )
        rotate = actions.add_parser(
            "rotate",
            help="Rewrap every data key under a new master key. With the embedded key file a new "
            "key is generated (or taken from --new-key) and the file ends up holding only it. With "
            "REKISTERI_MASTER_KEY, put the new key first (NEW,OLD) and run this; then drop OLD.",
        )
        rotate.add_argument(
            "--new-key",
            metavar="ID:KEY",
            help="The new master key (key file mode only); '-' reads it from standard input.",
        )
        rotate.add_argument(
            "--dry-run", action="store_true", help="Show what would be rewrapped and change nothing."
        )
        rotate.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            help="Data keys rewrapped per key-store transaction (default 1000).",
        )
        actions.add_parser("status", help="Show master key ids in use and key counts.")
        actions.add_parser(
            "check", help="Verify the configured master key; exit non-zero if it is wrong or missing."
        )

    def handle(self, *args, action: str, **options):
        self.verbosity = options["verbosity"]
        if action == "generate":
            return self._generate(options["key_id"])
        try:
            if action == "rotate":
                if options["batch_size"] < 1:
                    raise CommandError("--batch-size must be at least 1.")
                new_key = _new_key_argument(options["new_key"]) if options["new_key"] else None
                if settings.MASTER_KEY:
                    self._rotate_env(new_key, options["dry_run"], options["batch_size"])
                else:
                    self._rotate_key_file(new_key, options["dry_run"], options["batch_size"])
            elif action == "status":
                self._status()
            else:
                self._check()
        except DatabaseError as exc:
            raise CommandError(
                f"Cannot read the key store database ({type(exc).__name__}: {exc}). "
                "Has `rekisteri migrate` been run?"
            ) from None

    # ------------------------------------------------------------------ generate

    def _generate(self, key_id: str | None) -> None:
        try:
            key = crypto.generate_master_key(key_id)
        except crypto.InvalidMasterKey as exc:
            raise CommandError(str(exc)) from None
        # Only the key on stdout, so `rekisteri keys generate > file` stores exactly it.
        self.stdout.write(key.to_string())

    # ------------------------------------------------------------------ rotate

    def _verified_ring(self, ring: crypto.MasterKeyRing | None = None) -> crypto.MasterKeyRing:
        try:
            return keystore_verify(ring)
        except KeystoreError as exc:
            raise CommandError(str(exc)) from None

    def _rotate_env(self, new_key: crypto.MasterKey | None, dry_run: bool, batch_size: int) -> None:
        if new_key is not None:
            raise CommandError(
                "REKISTERI_MASTER_KEY is set, so the key cannot be written for you: put the new key "
                'first in it (REKISTERI_MASTER_KEY="NEW_ID:NEW_KEY,OLD_ID:OLD_KEY") and run '
                "`rekisteri keys rotate` without --new-key. `rekisteri keys generate` makes a new key."
            )
        ring = self._verified_ring()
        pending = self._pending(ring.current.key_id)
        if not ring.old and not pending:
            self.stdout.write(
                f"Nothing to rotate: every key is wrapped by master key {ring.current.key_id}. To rotate, "
                'create a key with `rekisteri keys generate`, set REKISTERI_MASTER_KEY="NEW,CURRENT" '
                "(new key first) and run `rekisteri keys rotate` again."
            )
            return
        if dry_run:
            self._describe_plan(ring, pending)
            return
        done = self._rewrap(ring, batch_size)
        # Prove that the new key alone opens everything before telling the operator to drop the old.
        self._verified_ring(crypto.MasterKeyRing(ring.current))
        old = ", ".join(key.key_id for key in ring.old) or "(none configured)"
        self.stdout.write(
            self.style.SUCCESS(f"Rewrapped {done} data key(s) under master key {ring.current.key_id}.")
        )
        self.stdout.write(
            f"The old master key(s) {old} are no longer needed: set REKISTERI_MASTER_KEY to the new "
            f"key only ({ring.current.key_id}:...) and restart rekisteri. {RESTART_NOTE}"
        )

    def _rotate_key_file(self, new_key: crypto.MasterKey | None, dry_run: bool, batch_size: int) -> None:
        path = Path(settings.MASTER_KEY_FILE)
        ring = self._verified_ring()
        if ring.old:
            # A rotation was interrupted after the ring "new,old" was written: finish it.
            if new_key is not None and new_key != ring.current:
                raise CommandError(
                    f"An earlier rotation to master key {ring.current.key_id} is unfinished ({path} "
                    f"holds {', '.join(ring.key_ids)}). Finish it first: run `rekisteri keys rotate` "
                    "without --new-key."
                )
            target = ring
            self.stdout.write(f"Finishing the interrupted rotation to master key {ring.current.key_id}.")
        else:
            new_key = new_key or crypto.generate_master_key()
            if new_key.key_id in ring:
                raise CommandError(
                    f"The new master key must have an id of its own; {new_key.key_id!r} is already in use."
                )
            target = crypto.MasterKeyRing(new_key, [ring.current])
        if dry_run:
            self._describe_plan(target, self._pending(target.current.key_id))
            self.stdout.write(f"Then {path} would hold only the new key. Dry run: nothing was changed.")
            return
        # From here on a crash leaves the file holding both keys, and running this again resumes.
        crypto.write_master_key_file(path, target)
        reset_state()
        done = self._rewrap(target, batch_size)
        final = crypto.MasterKeyRing(target.current)
        crypto.write_master_key_file(path, final)
        reset_state()
        self._verified_ring()  # the file on disk now opens every key
        old = ", ".join(key.key_id for key in target.old)
        self.stdout.write(
            self.style.SUCCESS(
                f"Rewrapped {done} data key(s) under the new master key {target.current.key_id}. "
                f"{path} now holds only that key; the old key {old} is gone and no longer needed."
            )
        )
        self.stdout.write(
            "Back up the new key file now (separately from the database backups). " + RESTART_NOTE
        )

    def _pending(self, current_id: str) -> int:
        """Wrapped keys (data keys and the blind-index key) not yet under ``current_id``."""
        data_keys = DataKey.objects.using(KEYSTORE_DB).exclude(master_key_id=current_id).count()
        index_key = IndexKey.objects.using(KEYSTORE_DB).exclude(master_key_id=current_id).count()
        return data_keys + index_key

    def _describe_plan(self, ring: crypto.MasterKeyRing, pending: int) -> None:
        counts = self._data_key_counts()
        by_key = ", ".join(f"{key_id}: {n}" for key_id, n in counts.items()) or "none"
        self.stdout.write(f"Data keys by master key: {by_key}.")
        self.stdout.write(
            f"Would rewrap {pending} key(s) under master key {ring.current.key_id} "
            "(field ciphertexts are not touched)."
        )

    def _rewrap(self, ring: crypto.MasterKeyRing, batch_size: int) -> int:
        total = self._pending(ring.current.key_id)
        self.stdout.write(f"Rewrapping {total} key(s) under master key {ring.current.key_id}...")

        def progress(done: int) -> None:
            if self.verbosity >= 2 or total > batch_size:
                self.stdout.write(f"  {done}/{total}")

        done = 0
        try:
            # Several passes: a server still running with the old key may create keys meanwhile.
            for _ in range(3):
                done += keys_rotate(ring=ring, batch_size=batch_size, progress=progress)
                if not self._pending(ring.current.key_id):
                    break
            else:
                raise CommandError(
                    "New data keys keep appearing under the old master key: stop `rekisteri serve` and the "
                    "task workers, then run `rekisteri keys rotate` again (it resumes)."
                )
        except KeystoreError as exc:
            raise CommandError(f"Rotation stopped: {exc}") from None
        except crypto.TamperedCiphertext as exc:
            # A wrapped key that fails authentication under a verified master key was altered.
            from rekisteri.encryption.services import tampering_report

            tampering_report(actor=Actor.system("cli:keys", origin="cli"), exc=exc)
            raise CommandError(
                f"Rotation stopped, tampering detected: {exc}. The event is in the audit trail. "
                "Keys rewrapped so far stay valid; both master keys are still configured."
            ) from None
        except crypto.CryptoError as exc:
            raise CommandError(f"Rotation stopped: {exc}") from None
        return done

    # ------------------------------------------------------------------ status and check

    def _data_key_counts(self) -> dict[str, int]:
        rows = (
            DataKey.objects.using(KEYSTORE_DB)
            .values("master_key_id")
            .annotate(n=Count("person_id"))
            .order_by("master_key_id")
        )
        return {row["master_key_id"]: row["n"] for row in rows}

    def _status(self) -> None:
        path = Path(settings.MASTER_KEY_FILE)
        if settings.MASTER_KEY:
            source = "REKISTERI_MASTER_KEY"
        elif path.exists():
            source = f"the key file {path}"
        else:
            source = None
        ring, problem = None, None
        if source is None:
            self.stdout.write(f"Master key: none yet; {path} is created on first start.")
        else:
            try:
                ring = load_master_ring()
            except KeystoreError as exc:
                problem = str(exc)
            if ring is not None:
                self.stdout.write(f"Master keys from {source}: current {ring.current.key_id}")
                if ring.old:
                    old = ", ".join(key.key_id for key in ring.old)
                    self.stdout.write(
                        f"  older keys still configured: {old} (finish with `rekisteri keys rotate`)"
                    )
        counts = self._data_key_counts()
        self.stdout.write(f"Data keys: {sum(counts.values())}")
        for key_id, n in counts.items():
            self.stdout.write(f"  wrapped by {key_id}: {n}")
        index_key = IndexKey.objects.using(KEYSTORE_DB).filter(pk=1).first()
        self.stdout.write(
            f"Blind-index key: wrapped by {index_key.master_key_id}"
            if index_key is not None
            else "Blind-index key: not created yet"
        )
        checks = list(KeyCheck.objects.using(KEYSTORE_DB).values_list("master_key_id", flat=True))
        self.stdout.write(f"Key checks stored for: {', '.join(sorted(checks)) or 'none'}")
        self.stdout.write(
            f"Erased persons (tombstones): {ErasureTombstone.objects.using(KEYSTORE_DB).count()}"
        )
        if ring is not None:
            try:
                keystore_verify(ring)
            except KeystoreError as exc:
                problem = str(exc)
        if problem:
            raise CommandError(problem)
        if ring is not None:
            self.stdout.write(self.style.SUCCESS("Check: the configured master key opens every key."))

    def _check(self) -> None:
        ring = self._verified_ring()
        count = DataKey.objects.using(KEYSTORE_DB).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Master key {ring.current.key_id} is correct: {count} data key(s) in the key store."
            )
        )
