"""Writing and checkpointing the audit chain (verifying it: rekisteri.audit.verify)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rekisteri.audit import checkpoints
from rekisteri.audit.actor import Actor
from rekisteri.audit.chain import GENESIS_HASH, ChainKey, canonical_json, canonical_time, event_bytes
from rekisteri.audit.checkpoints import Checkpoint, CheckpointError, CheckpointFile
from rekisteri.audit.keys import AuditKeyError, audit_keys
from rekisteri.audit.models import AuditEvent, AuditHead, AuditSubject
from rekisteri.audit.purposes import purpose_check
from rekisteri.audit.verify import VerifyResult, audit_verify
from rekisteri.db.bulk_insert import insert_rows
from rekisteri.db.prepared import prepared_cursor
from rekisteri.keystore.router import KEYSTORE_DB

__all__ = [  # audit_verify and VerifyResult are imported from here by restore and the command
    "Action",
    "VerifyResult",
    "audit_checkpoint",
    "audit_record",
    "audit_record_many",
    "audit_verify",
    "checkpoint_if_due",
    "read_checkpoints",
]

logger = logging.getLogger("rekisteri.audit")


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
    search term is personal data and must never be put there. A purpose outside the
    register's configuration raises PurposeNotConfigured (section 10).
    """
    # Default to the purpose the actor's role works for (section 2).
    purpose = purpose or actor.purpose
    purpose_check(purpose)
    key = audit_keys().current
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
        "purpose": purpose,
        "origin": actor.origin,
        "detail": canonical_json(detail or {}),
    }
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        event_id, prev_hash, digest = _append_postgresql(connection, key, fields, person_id_list)
    else:
        # No savepoint: an append that fails fails the caller's whole transaction anyway (an
        # action is never kept without its event), and the savepoint was two statements on
        # every audited request.
        with transaction.atomic(savepoint=False):
            head = _head_locked(connection)
            if head is None:
                _head_create()
                head = _head_locked(connection)
            prev_hash = head[1]
            # Taken under the write lock, so times follow the sequence.
            fields["seq"], fields["at"] = head[0] + 1, timezone.now()
            digest = key.chain(prev_hash, event_bytes(**fields))
            event_id = _append(connection, key, fields, prev_hash, digest, person_id_list)
    event = AuditEvent(id=event_id, prev_hash=prev_hash, hash=digest, key_id=key.key_id, **fields)
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


def _append(
    connection, key: ChainKey, fields: dict[str, Any], prev_hash: str, digest: str, person_ids: list[str]
) -> int:
    """SQLite: insert the event and its subjects and move the head; returns the event's id."""
    values = {**_db_values(connection, fields), "key_id": key.key_id, "prev_hash": prev_hash, "hash": digest}
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
        cursor.execute(
            f"UPDATE {_HEAD_TABLE} SET seq = %s, hash = %s, seal = %s WHERE id = 1",
            [fields["seq"], digest, key.seal(fields["seq"], digest)],
        )
    return event_id


# The head this process last saw per database, (seq, hash): on PostgreSQL the next event is
# chained to it before the statement is sent, and the statement appends only if the head is
# still there; if another process appended meanwhile, it answers with the head it found.
_known_heads: dict[tuple, tuple[int, str]] = {}
_OPTIMISTIC_TRIES = 3


def _append_postgresql(
    connection, key: ChainKey, fields: dict[str, Any], person_ids: list[str]
) -> tuple[int, str, str]:
    """PostgreSQL: append in one statement to the head this process knows, else under a lock.

    Every read of personal data appends an event, and on PostgreSQL each statement is a
    round trip: outside a transaction the single statement is its own transaction, so a read
    pays one round trip for its audit event. The HMAC needs the audit key, which never goes
    to the database server, and the previous hash, which only the head knows: so the hash is
    computed here for the head this process last saw, and the statement moves the head only
    if that is still the head (compare-and-set on seq and hash, under the row's lock). When
    another process appended meanwhile, the statement answers with the head it found and the
    next try chains to that; a few misses in a row (a busy trail) take the head's lock.
    Returns (event id, previous hash, hash).
    """
    database = (connection.alias, connection.settings_dict["NAME"], connection.settings_dict["HOST"])
    known = _known_heads.get(database)
    for _try in range(_OPTIMISTIC_TRIES):
        if known is None:
            break
        appended, known = _append_if_head(connection, key, fields, person_ids, *known)
        if appended is not None:
            _known_heads[database] = (fields["seq"], appended[2])
            return appended
    with transaction.atomic():
        head = _head_locked(connection)
        if head is None:  # no head yet: the very first event
            _head_create()
            head = _head_locked(connection)
        appended, _ = _append_if_head(connection, key, fields, person_ids, *head)
    if appended is None:  # pragma: no cover - the head is locked by this transaction
        raise RuntimeError("the audit chain head moved while it was locked")
    _known_heads[database] = (fields["seq"], appended[2])
    return appended


def _append_if_head(
    connection, key: ChainKey, fields: dict[str, Any], person_ids: list[str], head_seq: int, head_hash: str
) -> tuple[tuple[int, str, str] | None, tuple[int, str] | None]:
    """One statement: if the head is (head_seq, head_hash), move it and insert the event and
    its subjects: ((event id, previous hash, hash), None). Otherwise nothing is written:
    (None, the head as the statement saw it, or None if there is none)."""
    fields["seq"] = head_seq + 1
    digest = key.chain(head_hash, event_bytes(**fields))
    values = {**_db_values(connection, fields), "key_id": key.key_id}
    del values["seq"]
    columns = ", ".join(values)
    placeholders = ", ".join(["%s"] * len(values))
    with prepared_cursor(connection) as cursor:
        cursor.execute(
            f"""
            WITH head AS (
                UPDATE {_HEAD_TABLE} SET seq = %s, prev_hash = hash, hash = %s, seal = %s
                WHERE id = 1 AND seq = %s AND hash = %s
                RETURNING seq, prev_hash
            ), event AS (
                INSERT INTO {_EVENT_TABLE} (seq, {columns}, prev_hash, hash)
                SELECT head.seq, {placeholders}, head.prev_hash, %s FROM head
                RETURNING id
            ), subjects AS (
                INSERT INTO {_SUBJECT_TABLE} (event_id, person_id)
                SELECT event.id, subject.person_id FROM event, unnest(%s::uuid[]) AS subject(person_id)
            )
            SELECT id, NULL::bigint, NULL::varchar FROM event
            UNION ALL
            SELECT NULL, seq, hash FROM {_HEAD_TABLE} WHERE id = 1 AND NOT EXISTS (SELECT 1 FROM event)
            """,
            [
                fields["seq"],
                digest,
                key.seal(fields["seq"], digest),
                head_seq,
                head_hash,
                *values.values(),
                digest,
                [UUID(pid) for pid in person_ids],
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None, None
    if row[0] is not None:
        return (row[0], head_hash, digest), None
    return None, (row[1], row[2])


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
    key = audit_keys().current
    default_purpose = actor.purpose  # a query for staff users: once, not per event
    # Section 10: every purpose stated is in the configuration, checked once per purpose.
    for purpose in {event.get("purpose") or default_purpose for event in events}:
        purpose_check(purpose)
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
            digest = key.chain(prev_hash, event_bytes(**fields))
            fields["at"] = at_db
            event_rows.append((*fields.values(), key.key_id, prev_hash, digest))
            if person_id_list:
                subjects.append((seq, [given_by_str[pid] for pid in person_id_list]))
            prev_hash = digest
        columns = (*fields, "key_id", "prev_hash", "hash")
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
        head.seal = key.seal(seq, prev_hash)
        head.save(update_fields=["seq", "hash", "seal"])
    _known_heads.clear()  # this process's PostgreSQL appends re-read the head next time
    return len(events)


# --------------------------------------------------------------------------- checkpoints

# A checkpoint is written at least this often while the trail grows (the worker's rounds).
CHECKPOINT_EVERY = timedelta(minutes=5)
_next_due: dict[str, datetime] = {}


def read_checkpoints(checkpoint_file: Path) -> list[dict[str, Any]]:
    """The checkpoints in the file as {"seq", "hash", "at"}, oldest first, signatures unchecked
    (`audit_verify` checks them); ValueError if a line is malformed."""
    return [checkpoint.as_dict() for checkpoint in checkpoints.read_checkpoints(checkpoint_file)]


def audit_checkpoint(*, checkpoint_file: Path | None = None, now: datetime | None = None) -> Checkpoint:
    """Append a signed checkpoint of the chain head to the checkpoint file (and syslog).

    The head is read as it is now: verify first (`audit checkpoint` does) so the checkpoint
    never vouches for a broken chain.
    """
    key = audit_keys().current
    head = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first() or (0, GENESIS_HASH)
    with CheckpointFile(checkpoint_file or settings.AUDIT_CHECKPOINT_FILE) as handle:
        return _write_checkpoint(handle, key, head, now or timezone.now())


def checkpoint_if_due(*, now: datetime | None = None) -> Checkpoint | None:
    """Write a signed checkpoint when the last one is CHECKPOINT_EVERY old and the trail has
    grown since; the worker calls this every round. Returns the checkpoint written, if any.

    The events since the last checkpoint are verified first (a checkpoint must never vouch
    for a broken chain): if they fail, or the file cannot be written, nothing is written
    and the reason is logged (ids and sequence numbers only), and the next round tries again
    after CHECKPOINT_EVERY.
    """
    now = now or timezone.now()
    path = Path(settings.AUDIT_CHECKPOINT_FILE)
    due = _next_due.get(str(path))
    if due is not None and now < due:
        return None
    _next_due[str(path)] = now + CHECKPOINT_EVERY
    try:
        keys = audit_keys()
        with CheckpointFile(path) as handle:
            last = _last_checkpoint(path, handle, keys)
            if last is not None:
                last_at = _checkpoint_time(last)
                # A clock set back must not postpone checkpoints until it catches up.
                if last_at is not None and now - CHECKPOINT_EVERY < last_at <= now:
                    _next_due[str(path)] = last_at + CHECKPOINT_EVERY
                    return None
            head = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first() or (0, GENESIS_HASH)
            if last is not None and (last.seq, last.head) == head:
                return None  # nothing new to vouch for
            if last is not None:
                result = audit_verify(since=last)
            else:  # no signed checkpoint yet: the whole trail, against any unsigned ones
                found = checkpoints.parse_checkpoints(path, handle.read_text(), keys)
                result = audit_verify(checkpoints=found)
            if not result.ok:
                logger.error(
                    "No audit checkpoint was written: the audit trail is broken at event %s: %s",
                    result.first_bad_seq,
                    result.problem,
                )
                return None
            return _write_checkpoint(handle, keys.current, (result.head_seq, result.head_hash), now)
    except (OSError, CheckpointError, AuditKeyError) as exc:
        logger.error("No audit checkpoint was written: %s", exc)
        return None


def _last_checkpoint(path: Path, handle: CheckpointFile, keys) -> Checkpoint | None:
    """The file's last checkpoint, its signature checked; None if it has none or an unsigned one."""
    text = handle.last_line()
    if text is None:
        return None
    found = checkpoints.parse_line(path, None, text, keys)
    return found if found.signed else None


def _checkpoint_time(checkpoint: Checkpoint) -> datetime | None:
    try:
        return datetime.strptime(checkpoint.at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def _write_checkpoint(
    handle: CheckpointFile, key: ChainKey, head: tuple[int, str], now: datetime
) -> Checkpoint:
    persons, data_keys = _register_counts()
    text = checkpoints.checkpoint_line(
        key=key,
        prev_text=handle.last_line(),
        seq=head[0],
        head=head[1],
        persons=persons,
        data_keys=data_keys,
        at=canonical_time(now),
    )
    handle.append(text)
    if settings.AUDIT_SYSLOG:
        try:
            checkpoints.send_to_syslog(settings.AUDIT_SYSLOG, text)
        except OSError as exc:
            # The file holds the checkpoint; the copy elsewhere is what failed.
            logger.error("The audit checkpoint of event %s was not sent to syslog: %s", head[0], exc)
    return checkpoints.parse_line(handle.path, None, text, None)


def _register_counts() -> tuple[int, int]:
    """Persons in the register and data keys in the key store (a wiped trail beside them shows)."""
    persons = apps.get_model("people", "Person").objects.count()
    data_keys = apps.get_model("keystore", "DataKey").objects.using(KEYSTORE_DB).count()
    return persons, data_keys
