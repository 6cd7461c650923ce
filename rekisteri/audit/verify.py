"""Verifying the audit trail: the keyed chain, the head's seal, the signed checkpoints.

What an attacker who can write the database and the data directory, but does not hold the
audit key, cannot do unseen:
- change, insert, remove or renumber an event: its HMAC (or its successor's) no longer
  matches, and nobody without the key can compute the right one;
- remove the newest events and rewind the head: the head's seal for the earlier event was
  overwritten long ago, and a signed checkpoint that saw more events says so;
- wipe the trail: a checkpoint saw events, or persons and data keys exist without a trail;
- rewrite the chain as unkeyed SHA-256 events: those are only accepted before the keyed
  event that sealed them when the chain was keyed (migration audit 0006);
- edit, forge or remove checkpoint lines: each is signed (Ed25519) and names the hash of the
  line before it.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings

from rekisteri.audit.chain import GENESIS_HASH, LEGACY_KEY_ID, ChainKey, chain_hash, stored_event_bytes
from rekisteri.audit.checkpoints import Checkpoint, CheckpointError, read_checkpoints
from rekisteri.audit.keys import AuditKeyError, AuditKeyRing, audit_keys
from rekisteri.audit.models import AuditEvent, AuditHead, AuditSubject
from rekisteri.keystore.router import KEYSTORE_DB


@dataclass
class VerifyResult:
    ok: bool
    events_checked: int
    head_seq: int
    problem: str = ""
    first_bad_seq: int | None = None
    head_hash: str = GENESIS_HASH
    checkpoints: int = 0


def _fail(checked: int, head_seq: int, seq: int | None, problem: str) -> VerifyResult:
    return VerifyResult(
        ok=False, events_checked=checked, head_seq=head_seq, problem=problem, first_bad_seq=seq
    )


class _Broken(Exception):
    def __init__(self, seq: int | None, problem: str):
        super().__init__(problem)
        self.seq = seq
        self.problem = problem


def audit_verify(
    *,
    checkpoint_file: Path | None = None,
    batch_size: int = 5000,
    since: Checkpoint | None = None,
    checkpoints: list[Checkpoint] | None = None,
) -> VerifyResult:
    """Walk the chain and compare it with the signed checkpoints kept outside the database.

    With `since` (a verified checkpoint), only the events after it are walked and no other
    checkpoint is read: the worker's check before it writes the next checkpoint. With
    `checkpoints` (already read and verified), the file is not read again.
    """
    try:
        keys = audit_keys()
    except AuditKeyError as exc:
        return _fail(0, 0, None, f"the audit key is not available: {exc}")
    if since is not None:
        checkpoints = [since]
    elif checkpoints is None:
        try:
            checkpoints = read_checkpoints(checkpoint_file or settings.AUDIT_CHECKPOINT_FILE, keys)
        except CheckpointError as exc:
            return _fail(0, 0, None, f"the checkpoint file cannot be trusted: {exc}")
    walk = _Walk(keys, checkpoints, batch_size)
    try:
        walk.run(since)
        walk.compare_with_checkpoints()
        walk.check_head_seal()
        if since is None:
            walk.check_empty_trail()
    except _Broken as broken:
        return _fail(walk.checked, walk.last_seq, broken.seq, broken.problem)
    return VerifyResult(
        ok=True,
        events_checked=walk.checked,
        head_seq=walk.last_seq,
        head_hash=walk.prev_hash,
        checkpoints=len(checkpoints),
    )


class _Walk:
    def __init__(self, keys: AuditKeyRing, checkpoints: list[Checkpoint], batch_size: int):
        self.keys = keys
        self.checkpoints = checkpoints
        self.batch_size = batch_size
        self.expected = {cp.seq: cp for cp in checkpoints if cp.seq}
        self.prev_hash = GENESIS_HASH
        self.last_seq = 0
        self.checked = 0
        self.keyed_seen = False
        self.last_key: ChainKey | None = None
        self.head: AuditHead | None = None

    def run(self, since: Checkpoint | None) -> None:
        if since is not None and since.seq:
            event = AuditEvent.objects.filter(seq=since.seq).first()
            if event is None or event.hash != since.head:
                raise _Broken(since.seq, f"event {since.seq} differs from the last checkpoint taken of it")
            self.prev_hash, self.last_seq = event.hash, event.seq
            self.keyed_seen = event.key_id != LEGACY_KEY_ID
            self.last_key = self.keys.get(event.key_id)
        # Writers keep appending while we walk (SQLite has no snapshot here). Walk to the
        # end, then compare with the head; if the head has moved on, walk the new events too,
        # until the two agree or the trail really ends short of the head (events removed).
        for _round in range(100):
            self._walk_to_end()
            head = AuditHead.objects.filter(pk=1).first()
            head_seq = head.seq if head is not None else 0
            if head is None and self.last_seq:
                raise _Broken(None, "the chain head is missing: it was deleted")
            if head_seq == self.last_seq and (not self.last_seq or head.hash == self.prev_hash):
                self.head = head
                return
            if head_seq > self.last_seq and AuditEvent.objects.filter(seq__gt=self.last_seq).exists():
                continue  # written while we walked: walk those too
            if head_seq < self.last_seq:
                raise _Broken(
                    head_seq + 1, f"events after {head_seq} are not part of the chain head's history"
                )
            if head_seq == self.last_seq:
                raise _Broken(head_seq, f"the chain head does not match event {head_seq}")
            raise _Broken(
                self.last_seq + 1,
                f"the chain head says event {head_seq} but the trail ends at {self.last_seq}",
            )
        raise _Broken(None, "the trail kept growing faster than it could be verified; run again")

    def _walk_to_end(self) -> None:
        # Keyset pagination keeps memory flat on a long trail.
        while True:
            batch = list(AuditEvent.objects.filter(seq__gt=self.last_seq).order_by("seq")[: self.batch_size])
            if not batch:
                return
            subjects: dict[int, list[str]] = {}
            for event_id, person_id in AuditSubject.objects.filter(
                event__in=[e.pk for e in batch]
            ).values_list("event_id", "person_id"):
                subjects.setdefault(event_id, []).append(str(person_id))
            for event in batch:
                self._check(event, subjects.get(event.pk, []))
            if len(batch) < self.batch_size:
                return

    def _check(self, event: AuditEvent, subjects: list[str]) -> None:
        seq = event.seq
        if seq != self.last_seq + 1:
            raise _Broken(self.last_seq + 1, f"event {self.last_seq + 1} is missing (next present is {seq})")
        if event.prev_hash != self.prev_hash:
            raise _Broken(seq, f"event {seq} does not link to its predecessor")
        payload = stored_event_bytes(event)
        if event.key_id == LEGACY_KEY_ID:
            if self.keyed_seen:
                raise _Broken(
                    seq,
                    f"event {seq} is chained without the audit key after keyed events: it was rewritten "
                    "by someone who does not hold the key",
                )
            expected = chain_hash(self.prev_hash, payload)
            key = None
        else:
            key = self.keys.get(event.key_id)
            if key is None:
                raise _Broken(
                    seq,
                    f"event {seq} names audit key {event.key_id!r}, which is not configured: keep every "
                    "older audit key after the current one in REKISTERI_AUDIT_KEY",
                )
            expected = key.chain(self.prev_hash, payload)
            self.keyed_seen = True
        if not hmac.compare_digest(expected, event.hash):
            raise _Broken(seq, f"event {seq} was changed after it was written (its hash does not match)")
        try:
            listed = sorted(json.loads(event.person_ids))
        except ValueError:
            raise _Broken(seq, f"event {seq} has malformed person ids") from None
        if sorted(subjects) != listed:
            raise _Broken(seq, f"the person index of event {seq} disagrees with the event")
        checkpoint = self.expected.get(seq)
        if checkpoint is not None and checkpoint.head != event.hash:
            raise _Broken(
                seq, f"event {seq} differs from the checkpoint taken of it (line {checkpoint.line})"
            )
        self.prev_hash, self.last_seq, self.last_key = event.hash, seq, key
        self.checked += 1

    def compare_with_checkpoints(self) -> None:
        newest = max(self.checkpoints, key=lambda cp: cp.seq, default=None)
        if newest is not None and newest.seq > self.last_seq:
            raise _Broken(
                self.last_seq + 1,
                f"events {self.last_seq + 1}-{newest.seq} were removed: a checkpoint "
                f"(line {newest.line}, {newest.at}) saw the chain at {newest.seq}",
            )

    def check_head_seal(self) -> None:
        if not self.last_seq:
            return
        if not self.keyed_seen:
            raise _Broken(
                1,
                f"events 1-{self.last_seq} are chained with plain SHA-256 and no keyed event seals them: "
                "the trail was rewritten without the audit key (or `rekisteri migrate` has not run)",
            )
        if self.last_key is None:  # pragma: no cover - unkeyed events never follow keyed ones
            raise _Broken(self.last_seq, f"event {self.last_seq} is not keyed")
        assert self.head is not None
        if not hmac.compare_digest(self.last_key.seal(self.head.seq, self.head.hash), self.head.seal):
            raise _Broken(
                self.last_seq + 1,
                f"the chain head at event {self.last_seq} is not sealed by the audit key: it was moved by "
                "someone who does not hold the key (newer events removed?)",
            )

    def check_empty_trail(self) -> None:
        if self.last_seq:
            return
        persons = apps.get_model("people", "Person").objects.exists()
        data_keys = apps.get_model("keystore", "DataKey").objects.using(KEYSTORE_DB).exists()
        if persons or data_keys:
            held = " and ".join(
                name for name, held in (("persons", persons), ("data keys", data_keys)) if held
            )
            raise _Broken(1, f"the audit trail is empty, but the register holds {held}: the trail was wiped")
