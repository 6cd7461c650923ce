"""Issue 15, section 1: every rewrite of the audit trail, by an attacker who can write the
database and the data directory (drops the triggers, runs plain SQL, computes SHA-256 and
HMACs, signs with keys of their own) but does not hold the audit key, makes `audit verify`
exit non-zero and say what was found.

One row per case, each with and without a checkpoint. The attacks are complete: events
linked to each other, the head pointing at the last event, checkpoint lines rewritten to
match, so the linkage the unkeyed chain could check agrees (`_linkage_agrees`).
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
from collections.abc import Callable

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from rekisteri.audit.chain import (
    CHECKPOINT_SIGNED_PREFIX,
    GENESIS_HASH,
    ChainKey,
    canonical_json,
    chain_hash,
    stored_event_bytes,
)
from rekisteri.audit.checkpoints import line_hash
from rekisteri.audit.models import AuditEvent, AuditHead, AuditSubject
from rekisteri.audit.services import audit_checkpoint, audit_record
from rekisteri.audit.testing import append_only_triggers_dropped

pytestmark = pytest.mark.django_db

# The attacker's own keys: the right key id (it is in every event), the wrong material.
ATTACKER_KEY = ChainKey("audit-test-1", os.urandom(32))


# --------------------------------------------------------------------------- the attacker's tools


def _rehash(start: int, forge: str = "sha256") -> None:
    """Recompute every hash from event `start` on and point the head at the last one.

    forge: "sha256" (the unkeyed chain), "legacy" (also mark the events as pre-key SHA-256
    events), "own-key" (HMAC and seal under the attacker's own key with the real key id).
    """
    before = AuditEvent.objects.filter(seq__lt=start).order_by("-seq").first()
    prev = before.hash if before is not None else GENESIS_HASH
    for event in AuditEvent.objects.filter(seq__gte=start).order_by("seq"):
        key_id = "" if forge == "legacy" else event.key_id
        digest = (
            ATTACKER_KEY.chain(prev, stored_event_bytes(event))
            if forge == "own-key"
            else chain_hash(prev, stored_event_bytes(event))
        )
        AuditEvent.objects.filter(pk=event.pk).update(prev_hash=prev, hash=digest, key_id=key_id)
        prev = digest
    last = AuditEvent.objects.order_by("-seq").first()
    seq = last.seq if last is not None else 0
    seal = ATTACKER_KEY.seal(seq, prev) if forge == "own-key" else ""
    AuditHead.objects.filter(pk=1).update(seq=seq, hash=prev, seal=seal)


def _delete(seqs) -> None:
    AuditSubject.objects.filter(event__seq__in=seqs).delete()
    AuditEvent.objects.filter(seq__in=seqs).delete()


def truncate_tail(settings=None) -> None:
    """Delete the newest five events and rewind the head onto the event before them."""
    last = AuditHead.objects.get().seq
    _delete(range(last - 4, last + 1))
    kept = AuditEvent.objects.get(seq=last - 5)
    AuditHead.objects.filter(pk=1).update(seq=kept.seq, hash=kept.hash, prev_hash=kept.prev_hash)


def change_and_rehash(seq: int, forge: str = "sha256") -> Callable:
    def attack(settings=None) -> None:
        AuditEvent.objects.filter(seq=seq).update(action="search", detail='{"hits":0}')
        _rehash(seq, forge)

    return attack


def delete_renumber_rehash(seq: int, forge: str = "sha256") -> Callable:
    def attack(settings) -> None:
        _delete([seq])
        for event in AuditEvent.objects.filter(seq__gt=seq).order_by("seq"):
            AuditEvent.objects.filter(pk=event.pk).update(seq=F("seq") - 1)
        _rehash(seq, forge)

    return attack


def wipe(delete_head: bool = False) -> Callable:
    def attack(settings) -> None:
        AuditSubject.objects.all().delete()
        AuditEvent.objects.all().delete()
        if delete_head:
            AuditHead.objects.all().delete()
        else:
            AuditHead.objects.filter(pk=1).update(seq=0, hash=GENESIS_HASH, prev_hash="", seal="")

    return attack


def drop_oldest(settings) -> None:
    """Delete the oldest events (the organization and the person were created there)."""
    _delete([1, 2, 3])


def downgrade_all(settings) -> None:
    """Rewrite the whole trail as unkeyed SHA-256 events, as if it predated the key."""
    _rehash(1, "legacy")


# Checkpoint file attacks: they rewrite lines as the attacker can, by editing, dropping or
# signing them with a key of their own.


def _lines(settings) -> list[str]:
    return settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()


def _write_lines(settings, lines: list[str]) -> None:
    settings.AUDIT_CHECKPOINT_FILE.write_text("".join(line + "\n" for line in lines))


def _own_signed(entry: dict) -> str:
    entry = {name: value for name, value in entry.items() if name != "sig"}
    signature = ATTACKER_KEY.sign(CHECKPOINT_SIGNED_PREFIX + canonical_json(entry).encode("ascii"))
    return canonical_json({**entry, "sig": base64.b64encode(signature).decode("ascii")})


def checkpoints_match_the_truncated_trail(settings) -> None:
    """Truncate the trail, then edit every checkpoint line that saw more to match the new head."""
    truncate_tail()
    head = AuditHead.objects.get()
    lines = []
    for line in _lines(settings):
        entry = json.loads(line)
        if entry["seq"] > head.seq:
            entry.update(seq=head.seq, events=head.seq, head=head.hash)
        lines.append(canonical_json(entry))
    _write_lines(settings, lines)


def checkpoint_line_removed(settings) -> None:
    """Drop a checkpoint line from the middle of the file."""
    lines = _lines(settings)
    _write_lines(settings, lines[:1] + lines[2:])


def checkpoints_resigned_with_own_key(settings) -> None:
    """Truncate the trail and rewrite the whole file, re-signed and re-chained with the attacker's key."""
    truncate_tail()
    head = AuditHead.objects.get()
    lines: list[str] = []
    for line in _lines(settings):
        entry = json.loads(line)
        if entry["seq"] > head.seq:
            entry.update(seq=head.seq, events=head.seq, head=head.hash)
        entry["prev"] = line_hash(lines[-1]) if lines else GENESIS_HASH
        lines.append(_own_signed(entry))
    _write_lines(settings, lines)


def checkpoint_forged(settings) -> None:
    """Change an event, rehash, and write a checkpoint of the forged head signed with an own key."""
    change_and_rehash(3)()
    head = AuditHead.objects.get()
    entry = {
        "v": 2,
        "seq": head.seq,
        "head": head.hash,
        "events": head.seq,
        "persons": 1,
        "data_keys": 1,
        "at": "2026-12-06T10:00:00.000000Z",
        "key_id": "audit-test-1",
        "prev": GENESIS_HASH,
    }
    _write_lines(settings, [_own_signed(entry)])


def checkpoint_file_deleted_and_trail_truncated(settings) -> None:
    truncate_tail()
    settings.AUDIT_CHECKPOINT_FILE.unlink()


# --------------------------------------------------------------------------- the register


READS = 14  # events 3-16, after the organization (1) and the person (2)


@pytest.fixture
def register(person, system_actor):
    """A register with a person (events 1-2: organization, person) and 14 reads after them."""
    for number in range(READS):
        audit_record(
            actor=system_actor,
            action="view",
            object_type="person",
            object_ids=[person.pk],
            person_ids=[person.pk],
            detail={"read": number},
        )
    return person


def _prepare(setup: str, system_actor) -> None:
    """Checkpoints and five more events (17-21) as the row needs them.

    none: no checkpoint. at head: one checkpoint of event 21. behind: one checkpoint of
    event 16, so 17-21 are newer than it. several: checkpoints of 16, 17, 18 and 21.
    """

    def event() -> None:
        audit_record(actor=system_actor, action="list", object_type="person")

    if setup in {"behind", "several"}:
        audit_checkpoint()
    for number in range(5):
        event()
        if setup == "several" and number < 2:
            audit_checkpoint()
    if setup in {"at head", "several"}:
        audit_checkpoint()


def _verify_fails() -> str:
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify")
    assert failure.value.returncode == 1
    return str(failure.value)


def _linkage_agrees() -> bool:
    """What an unkeyed chain could check: events link up and the head names the last one."""
    prev, seq = GENESIS_HASH, 0
    for event in AuditEvent.objects.order_by("seq"):
        if event.seq != seq + 1 or event.prev_hash != prev:
            return False
        prev, seq = event.hash, event.seq
    head = AuditHead.objects.filter(pk=1).first()
    return (head is None and seq == 0) or (head is not None and (head.seq, head.hash) == (seq, prev))


# --------------------------------------------------------------------------- the table

# (case, checkpoints before the attack, attack, what `audit verify` must say)
CASES = [
    # 1. Deleting the newest five events and rewinding the head.
    ("truncate tail, checkpoint saw it", "at head", truncate_tail, r"at event 17: events 17-21 were removed"),
    ("truncate tail newer than the checkpoint", "behind", truncate_tail, r"head at event 16 is not sealed"),
    (
        "truncate tail, no checkpoint",
        "none",
        truncate_tail,
        r"head at event 16 is not sealed by the audit key",
    ),
    # 2. Changing an event and recomputing the hashes and the head.
    ("change + rehash, checkpoint", "at head", change_and_rehash(4), r"at event 4: event 4 was changed"),
    ("change + rehash, no checkpoint", "none", change_and_rehash(4), r"at event 4: event 4 was changed"),
    ("change + own HMAC key", "none", change_and_rehash(4, "own-key"), r"at event 4: event 4 was changed"),
    # 3. Deleting an event, renumbering and rehashing.
    (
        "delete + renumber, checkpoint",
        "at head",
        delete_renumber_rehash(5),
        r"at event 5: event 5 was changed",
    ),
    (
        "delete + renumber, no checkpoint",
        "none",
        delete_renumber_rehash(5),
        r"at event 5: event 5 was changed",
    ),
    # 4. Wiping the whole trail and resetting the head.
    ("wipe, checkpoint", "at head", wipe(), r"at event 1: events 1-21 were removed: a checkpoint"),
    ("wipe, no checkpoint", "none", wipe(), r"trail is empty, but the register holds persons and data keys"),
    ("wipe and the head, no checkpoint", "none", wipe(delete_head=True), r"trail is empty, but the register"),
    # 5. With a checkpoint, changing an event newer than it.
    ("change after the checkpoint", "behind", change_and_rehash(19), r"at event 19: event 19 was changed"),
    ("change after it, own HMAC key", "behind", change_and_rehash(19, "own-key"), r"event 19 was changed"),
    # 6. Rewriting the checkpoint file (by default in the data directory).
    (
        "checkpoints edited to match",
        "several",
        checkpoints_match_the_truncated_trail,
        r"line 2 has no valid signature",
    ),
    (
        "checkpoint line removed",
        "several",
        checkpoint_line_removed,
        r"line 2 does not follow the line before it",
    ),
    ("checkpoints re-signed", "several", checkpoints_resigned_with_own_key, r"line 1 has no valid signature"),
    ("checkpoint forged, none before", "none", checkpoint_forged, r"line 1 has no valid signature"),
    (
        "checkpoint file deleted",
        "at head",
        checkpoint_file_deleted_and_trail_truncated,
        r"not sealed by the audit key",
    ),
    # A trail that starts after event 1.
    ("oldest events removed", "none", drop_oldest, r"at event 1: event 1 is missing \(next present is 4\)"),
    # The unkeyed format, rewritten in full: accepted only before the keyed event that sealed it.
    (
        "rewritten as SHA-256, checkpoint",
        "at head",
        downgrade_all,
        r"at event 21: event 21 differs from the checkpoint",
    ),
    (
        "rewritten as SHA-256",
        "none",
        downgrade_all,
        r"at event 1: events 1-21 are chained with plain SHA-256",
    ),
]


@pytest.mark.parametrize(("case", "setup", "attack", "message"), CASES, ids=[case[0] for case in CASES])
def test_a_rewrite_without_the_audit_key_fails_verification(
    register, settings, system_actor, case, setup, attack, message
):
    _prepare(setup, system_actor)
    assert "intact: 21 event(s) checked" in _out("verify")  # sound before the attack

    with append_only_triggers_dropped():
        attack(settings)

    if attack is not drop_oldest:
        assert _linkage_agrees(), "the attack should leave a chain whose links agree"
    failure = _verify_fails()
    assert re.search(message, failure), failure


def _out(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", *args, stdout=out)
    return out.getvalue()
