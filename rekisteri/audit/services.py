"""Writing, verifying and checkpointing the audit chain."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rekisteri.audit.actor import Actor
from rekisteri.audit.chain import GENESIS_HASH, canonical_json, chain_hash, event_bytes
from rekisteri.audit.models import AuditEvent, AuditHead, AuditSubject
from rekisteri.lib.bulk_insert import insert_rows
from rekisteri.lib.prepared import prepared_cursor


class Action:
    VIEW = "view"
    SEARCH = "search"
    LIST = "list"
    CREATE = "create"
    CHANGE = "change"
    DELETE = "delete"
    EXPORT = "export"
    DENIED = "denied"


def _ids(values: Iterable[Any]) -> list[str]:
    return [str(value) for value in values]


def audit_record(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_ids: Iterable[Any] = (),
    person_ids: Iterable[UUID | str] = (),
    purpose: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction.

    Callers pass ids only. `detail` is for non-personal facts (field names, counts); a
    search term is personal data and must never be put there.
    """
    person_id_list = sorted(set(_ids(person_ids)))
    fields = {
        "seq": 0,  # taken from the head below
        "at": timezone.now(),
        "actor_user_id": actor.user_id,
        "actor_label": actor.label,
        "action": action,
        "object_type": object_type,
        "object_ids": canonical_json(_ids(object_ids)),
        "person_ids": canonical_json(person_id_list),
        # Default to the purpose the actor's role works for (section 2).
        "purpose": purpose or actor.purpose,
        "origin": actor.origin,
        "detail": canonical_json(detail or {}),
    }
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        appended = _append_in_one_statement(connection, fields, person_id_list)
        if appended is None:  # no head yet: the very first event
            _head_create()
            appended = _append_in_one_statement(connection, fields, person_id_list)
        event_id, fields["seq"], prev_hash, digest = appended
    else:
        with transaction.atomic():
            head = _head_locked(connection)
            if head is None:
                _head_create()
                head = _head_locked(connection)
            prev_hash = head[1]
            # Taken under the write lock, so times follow the sequence (on PostgreSQL the
            # server assigns the number after the time, which may then lag by a lock wait).
            fields["seq"], fields["at"] = head[0] + 1, timezone.now()
            digest = chain_hash(prev_hash, event_bytes(**fields))
            event_id = _append(connection, fields, prev_hash, digest, person_id_list)
    event = AuditEvent(id=event_id, prev_hash=prev_hash, hash=digest, **fields)
    event._state.adding = False
    event._state.db = connection.alias
    return event


def _head_create() -> None:
    # Two first-ever writers on PostgreSQL both find no head; a plain insert would fail for
    # one of them. ON CONFLICT DO NOTHING makes the second wait for the first.
    AuditHead.objects.bulk_create([AuditHead(pk=1, seq=0, hash=GENESIS_HASH)], ignore_conflicts=True)


# Every read of personal data appends an event, so these statements are a large share of
# every read: they are written out once here rather than built by the ORM on each call.
_EVENT_TABLE = AuditEvent._meta.db_table
_SUBJECT_TABLE = AuditSubject._meta.db_table
_HEAD_TABLE = AuditHead._meta.db_table


def _head_locked(connection) -> tuple[int, str] | None:
    """The chain head's (seq, hash), its row locked on PostgreSQL.

    On SQLite the IMMEDIATE transaction already holds the database's single write lock.
    """
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {_HEAD_TABLE} WHERE id = 1{lock}")
        return cursor.fetchone()


def _db_values(connection, fields: dict[str, Any]) -> dict[str, Any]:
    return {**fields, "at": AuditEvent._meta.get_field("at").get_db_prep_save(fields["at"], connection)}


def _append(connection, fields: dict[str, Any], prev_hash: str, digest: str, person_ids: list[str]) -> int:
    """SQLite: insert the event and its subjects and move the head; returns the event's id."""
    values = {**_db_values(connection, fields), "prev_hash": prev_hash, "hash": digest}
    placeholders = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_EVENT_TABLE} ({', '.join(values)}) VALUES ({placeholders})", list(values.values())
        )
        event_id = cursor.lastrowid
        if person_ids:
            to_db = AuditSubject._meta.get_field("person_id").get_db_prep_value
            cursor.executemany(
                f"INSERT INTO {_SUBJECT_TABLE} (event_id, person_id) VALUES (%s, %s)",
                [(event_id, to_db(pid, connection)) for pid in person_ids],
            )
        cursor.execute(f"UPDATE {_HEAD_TABLE} SET seq = %s, hash = %s WHERE id = 1", [fields["seq"], digest])
    return event_id


_SEQ_SLOT = b'["rekisteri-audit-v1",'


def _append_in_one_statement(
    connection, fields: dict[str, Any], person_ids: list[str]
) -> tuple[int, int, str, str]:
    """PostgreSQL: lock and move the head, chain the hash, insert the event and its subjects,
    all in one statement; returns (event id, seq, previous hash, hash).

    Every read of personal data appends an event, and on PostgreSQL each statement is a
    round trip: outside a transaction this single statement is its own transaction, so a
    read pays one round trip for its audit event instead of five. The hash is the same
    chain_hash over the same event_bytes, computed by the server (sha256) because only it
    knows the head: the canonical bytes are sent split around the sequence number.
    """
    payload = event_bytes(**fields)  # with seq 0: the head's next number goes in its slot
    if not payload.startswith(_SEQ_SLOT + b"0,"):
        raise AssertionError("event_bytes no longer starts with the sequence number")
    before, after = _SEQ_SLOT, payload[len(_SEQ_SLOT) + 1 :]
    values = _db_values(connection, fields)
    del values["seq"]
    columns = ", ".join(values)
    placeholders = ", ".join(["%s"] * len(values))
    with prepared_cursor(connection) as cursor:
        cursor.execute(
            f"""
            WITH head AS (
                UPDATE {_HEAD_TABLE}
                SET seq = seq + 1, prev_hash = hash,
                    hash = encode(sha256(
                        decode(hash, 'hex') || %s::bytea || convert_to((seq + 1)::text, 'UTF8') || %s::bytea
                    ), 'hex')
                WHERE id = 1
                RETURNING seq, prev_hash, hash
            ), event AS (
                INSERT INTO {_EVENT_TABLE} (seq, {columns}, prev_hash, hash)
                SELECT head.seq, {placeholders}, head.prev_hash, head.hash FROM head
                RETURNING id, seq, prev_hash, hash
            ), subjects AS (
                INSERT INTO {_SUBJECT_TABLE} (event_id, person_id)
                SELECT event.id, subject.person_id FROM event, unnest(%s::uuid[]) AS subject(person_id)
            )
            SELECT id, seq, prev_hash, hash FROM event
            """,
            [before, after, *values.values(), [UUID(pid) for pid in person_ids]],
        )
        return cursor.fetchone()


_EVENT_KEYS = {"action", "object_type", "object_ids", "person_ids", "purpose", "detail"}


def audit_record_many(*, actor: Actor, events: list[dict[str, Any]]) -> int:
    """Append many events to the chain in one transaction (bulk imports); returns how many.

    Each dict takes audit_record's keyword arguments: `action`, `object_type` and optionally
    `object_ids`, `person_ids`, `purpose`, `detail` (ids and non-personal facts only). The
    events get the same canonical bytes and chain rules as audit_record: consecutive
    sequence numbers taken under the head lock, each hash over its predecessor's, the head
    moved once at the end, so audit_verify cannot tell them from events written one by one.
    """
    for number, event in enumerate(events):
        unknown = set(event) - _EVENT_KEYS
        missing = {"action", "object_type"} - set(event)
        if unknown or missing:
            raise TypeError(
                f"audit event {number}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}"
            )
    if not events:
        return 0
    default_purpose = actor.purpose  # a query for staff users: once, not per event
    subject_field = AuditSubject._meta.get_field("person_id")
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            # As in audit_record: the second first-ever writer waits for the first.
            AuditHead.objects.bulk_create([AuditHead(pk=1, seq=0, hash=GENESIS_HASH)], ignore_conflicts=True)
            head = AuditHead.objects.select_for_update().get(pk=1)
        connection = transaction.get_connection()
        at = timezone.now()
        at_db = AuditEvent._meta.get_field("at").get_db_prep_save(at, connection)
        first_seq = head.seq + 1
        seq, prev_hash = head.seq, head.hash
        event_rows: list[tuple] = []
        subjects: list[tuple[int, list[str]]] = []
        for event in events:
            seq += 1
            given = event.get("person_ids", ())
            given_ids = given if isinstance(given, list | tuple) else list(given)
            # Each id is spelled once (a bulk event names thousands, usually as both its
            # objects and its persons); the spelling leads back to the value as given, so
            # UUIDs need not be parsed again for the subject rows.
            given_strs = _ids(given_ids)
            object_ids = event.get("object_ids", ())
            object_strs = given_strs if object_ids is given else _ids(object_ids)
            given_by_str = dict(zip(given_strs, given_ids, strict=True))
            person_id_list = sorted(given_by_str)
            fields = {
                "seq": seq,
                "at": at,
                "actor_user_id": actor.user_id,
                "actor_label": actor.label,
                "action": event["action"],
                "object_type": event["object_type"],
                "object_ids": canonical_json(object_strs),
                "person_ids": canonical_json(person_id_list),
                "purpose": event.get("purpose") or default_purpose,
                "origin": actor.origin,
                "detail": canonical_json(event.get("detail") or {}),
            }
            digest = chain_hash(prev_hash, event_bytes(**fields))
            fields["at"] = at_db
            event_rows.append((*fields.values(), prev_hash, digest))
            if person_id_list:
                subjects.append((seq, [given_by_str[pid] for pid in person_id_list]))
            prev_hash = digest
        columns = (*fields, "prev_hash", "hash")
        insert_rows(connection, AuditEvent, columns, event_rows)
        if subjects:
            # The subjects point at event ids, which the database assigned: read them back.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT seq, id FROM {AuditEvent._meta.db_table} WHERE seq >= %s AND seq <= %s",
                    [first_seq, seq],
                )
                event_ids = dict(cursor.fetchall())
            subject_rows = [
                (event_ids[event_seq], subject_field.get_db_prep_value(pid, connection))
                for event_seq, person_id_list in subjects
                for pid in person_id_list
            ]
            insert_rows(connection, AuditSubject, ("event_id", "person_id"), subject_rows)
        head.seq = seq
        head.hash = prev_hash
        head.save(update_fields=["seq", "hash"])
    return len(events)


@dataclass
class VerifyResult:
    ok: bool
    events_checked: int
    head_seq: int
    problem: str = ""
    first_bad_seq: int | None = None


def _fail(checked: int, head_seq: int, seq: int | None, problem: str) -> VerifyResult:
    return VerifyResult(
        ok=False, events_checked=checked, head_seq=head_seq, problem=problem, first_bad_seq=seq
    )


def audit_verify(*, checkpoint_file: Path | None = None, batch_size: int = 5000) -> VerifyResult:
    """Walk the whole chain and compare it with the checkpoints kept outside the database."""
    checkpoint_file = checkpoint_file or settings.AUDIT_CHECKPOINT_FILE
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_seq = 0
    # Writers keep appending while we walk. Walk to the end, then compare with the head; if
    # the head has moved on, walk the new events too, until the two agree or the trail
    # really ends short of the head (events removed).
    for _round in range(100):
        # Keyset pagination keeps memory flat on a long trail.
        while True:
            batch = list(AuditEvent.objects.filter(seq__gte=expected_seq).order_by("seq")[:batch_size])
            if not batch:
                break
            subjects: dict[int, list[str]] = {}
            for event_id, person_id in AuditSubject.objects.filter(
                event__in=[e.pk for e in batch]
            ).values_list("event_id", "person_id"):
                subjects.setdefault(event_id, []).append(str(person_id))
            for event in batch:
                if event.seq != expected_seq:
                    return _fail(
                        checked,
                        last_seq,
                        expected_seq,
                        f"event {expected_seq} is missing (next present is {event.seq})",
                    )
                if event.prev_hash != prev_hash:
                    return _fail(
                        checked, last_seq, event.seq, f"event {event.seq} does not link to its predecessor"
                    )
                payload = event_bytes(
                    seq=event.seq,
                    at=event.at,
                    actor_user_id=event.actor_user_id,
                    actor_label=event.actor_label,
                    action=event.action,
                    object_type=event.object_type,
                    object_ids=event.object_ids,
                    person_ids=event.person_ids,
                    purpose=event.purpose,
                    origin=event.origin,
                    detail=event.detail,
                )
                if chain_hash(prev_hash, payload) != event.hash:
                    return _fail(
                        checked, last_seq, event.seq, f"event {event.seq} was changed after it was written"
                    )
                try:
                    listed = sorted(json.loads(event.person_ids))
                except ValueError:
                    return _fail(checked, last_seq, event.seq, f"event {event.seq} has malformed person ids")
                if sorted(subjects.get(event.pk, [])) != listed:
                    return _fail(
                        checked,
                        last_seq,
                        event.seq,
                        f"the person index of event {event.seq} disagrees with the event",
                    )
                prev_hash = event.hash
                last_seq = event.seq
                expected_seq += 1
                checked += 1
            if len(batch) < batch_size:
                break
        head = AuditHead.objects.filter(pk=1).first()
        head_seq = head.seq if head is not None else 0
        if head_seq == last_seq and (not last_seq or head.hash == prev_hash):
            break
        if head_seq > last_seq and AuditEvent.objects.filter(seq__gt=last_seq).exists():
            continue  # written while we walked: walk those too
        if head_seq < last_seq:
            return _fail(
                checked,
                last_seq,
                head_seq + 1,
                f"events after {head_seq} are not part of the chain head's history",
            )
        return _fail(
            checked,
            last_seq,
            last_seq + 1,
            f"the chain head says event {head_seq} but the trail ends at {last_seq}",
        )
    for checkpoint in read_checkpoints(checkpoint_file):
        seq, digest = checkpoint["seq"], checkpoint["hash"]
        if seq == 0:
            continue
        if seq > last_seq:
            return _fail(
                checked,
                last_seq,
                last_seq + 1,
                f"events {last_seq + 1}-{seq} were removed: a checkpoint saw the chain at {seq}",
            )
        stored = AuditEvent.objects.filter(seq=seq).values_list("hash", flat=True).first()
        if stored != digest:
            return _fail(checked, last_seq, seq, f"event {seq} differs from the checkpoint taken of it")
    return VerifyResult(ok=True, events_checked=checked, head_seq=last_seq)


def read_checkpoints(checkpoint_file: Path) -> list[dict[str, Any]]:
    if not checkpoint_file.exists():
        return []
    result = []
    for number, line in enumerate(checkpoint_file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            result.append({"seq": int(entry["seq"]), "hash": str(entry["hash"])})
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"{checkpoint_file}: line {number} is not a valid checkpoint") from None
    return result


def audit_checkpoint(*, checkpoint_file: Path | None = None) -> dict[str, Any]:
    """Append the current head (sequence and hash) to a file outside the database."""
    checkpoint_file = checkpoint_file or settings.AUDIT_CHECKPOINT_FILE
    head = AuditHead.objects.filter(pk=1).first()
    entry = {
        "seq": head.seq if head else 0,
        "hash": head.hash if head else GENESIS_HASH,
        "at": timezone.now().isoformat(),
    }
    checkpoint_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(checkpoint_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(canonical_json(entry) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return entry
