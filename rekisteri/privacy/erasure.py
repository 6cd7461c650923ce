"""Erasure by key destruction: the one function that makes a person unrecoverable.

Order matters. The data key is destroyed first (with a tombstone in the erasure journal,
in the key store), so from that moment every copy of the person's ciphertext, in the WAL,
in a backup, on a replica, is unreadable. Then the rows go, through the personal-data
registry, and the audit trail records the erasure with ids only. Last, SQLite's WAL is
checkpointed and truncated so no old page images stay on disk. If the process dies between
the steps, `erasure_journal_replay` finishes the work (restores run it too).
"""

from __future__ import annotations

from collections import Counter
from uuid import UUID

from django.db import connections, transaction

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.keystore.models import DataKey, ErasureTombstone
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.keystore.services import KeyDestroyed, email_suppression_hash, erased_person_ids, key_destroy
from rekisteri.privacy.registry import personal_data_models

# Reasons are codes, never free text: the journal and the audit trail outlive the person.
ERASURE_REASONS = {
    "erasure_request": "The person asked for erasure (Art. 17)",
    "no_longer_needed": "No longer needed for its purposes (section 7)",
    "retention": "Retention period ended (section 7)",
    "duplicate": "Duplicate record",
    "unlawful": "Processed without a legal basis",
    "other": "Other reason",
}


class ErasureRefused(ValueError):
    pass


def _rows_delete(person_id: UUID | str) -> tuple[int, list[str]]:
    """Delete every registered row of the person, dependants first, the person last.

    Returns the number of rows deleted and the ids of detached rows that own a data key.
    """
    deleted = 0
    owners: list[str] = []
    entries = personal_data_models()
    for entry in entries:
        if entry.person_lookup != "pk" and entry.erasure == "detach":
            rows = entry.rows_for(person_id)
            if entry.own_key:
                owners.extend(str(pk) for pk in rows.values_list("pk", flat=True))
            rows.update(**{entry.person_lookup: None})
    for entry in entries:
        if entry.person_lookup != "pk" and entry.erasure == "delete":
            deleted += _raw_delete(entry.rows_for(person_id))
    for entry in entries:
        if entry.person_lookup == "pk":
            deleted += _raw_delete(entry.rows_for(person_id))
    return deleted, owners


def _raw_delete(rows) -> int:
    """DELETE without Django's collector (the registry orders the models itself); an empty
    selection (a person without index entries) deletes nothing and says None."""
    return rows._raw_delete(rows.db) or 0


def owner_keys_destroy(*, owner_ids, reason: str, request_ref: str = "") -> None:
    """Destroy the own keys of detached records (e.g. rights requests) of an erased person.

    person_erase does this itself, except for keys it was asked to keep: the request being
    fulfilled still has to mail its confirmation, and destroys its key after that.
    """
    for owner_id in owner_ids:
        _key_destroy_keeping_first_record(
            person_id=owner_id, reason=reason, request_ref=request_ref, email_hash=""
        )


def storage_scrub() -> None:
    """Checkpoint and truncate SQLite write-ahead logs so deleted pages leave no copies.

    secure_delete (see settings) already overwrites freed pages in the database file; the
    WAL still holds the old page images until a checkpoint, which TRUNCATE then empties.
    PostgreSQL keeps dead tuples until VACUUM, but they are ciphertext under a destroyed key
    and pg_dump never writes them.
    """
    for alias in ("default", KEYSTORE_DB):
        connection = connections[alias]
        if connection.vendor == "sqlite" and not connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _inside_transaction() -> bool:
    # The same test Django's durable=True makes: a test case's own wrapping transaction
    # does not count.
    blocks = connections["default"].atomic_blocks
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


def _key_destroy_keeping_first_record(*, person_id, reason: str, request_ref: str, email_hash: str) -> None:
    """Destroy the key; a repeated or resumed erasure keeps the journal's first record.

    By then the key may already be gone, so the e-mail cannot be hashed again: overwriting
    the tombstone would lose the suppression hash, and the time and reason of the erasure.
    """
    tombstones = ErasureTombstone.objects.using(KEYSTORE_DB).filter(person_id=person_id)
    with transaction.atomic(using=KEYSTORE_DB):
        first = tombstones.first()
        if first is not None:
            reason, request_ref = first.reason, first.request_ref
            email_hash = first.email_hash or email_hash
        key_destroy(person_id=person_id, reason=reason, request_ref=request_ref, email_hash=email_hash)
        if first is not None:
            tombstones.update(erased_at=first.erased_at)


def person_erase(
    *, actor: Actor, person_id: UUID | str, reason: str, request_ref: str = "", keep_keys_of=()
) -> None:
    """Erase a person: destroy their key, delete their rows, keep a tombstone and the audit event.

    Detached records with keys of their own (rights requests about the person) lose those
    keys too, except the ones in `keep_keys_of` (see owner_keys_destroy).
    """
    from rekisteri.people.models import Person

    if reason not in ERASURE_REASONS:
        raise ErasureRefused(
            f"Unknown erasure reason {reason!r}; choose one of {', '.join(ERASURE_REASONS)}."
        )
    if len(request_ref) > 100:
        raise ErasureRefused("A request reference is at most 100 characters.")
    if _inside_transaction():
        # The key store commits on its own; inside an outer transaction a later rollback
        # would bring back rows whose key is already gone.
        raise ErasureRefused("person_erase must not run inside a transaction")
    person = Person.objects.filter(pk=person_id).first()
    email_hash = ""
    if person is not None:
        try:
            email_hash = email_suppression_hash(person.email.casefold()) if person.email else ""
        except KeyDestroyed:
            email_hash = ""  # an earlier erasure died half-way: finish it
    _key_destroy_keeping_first_record(
        person_id=person_id, reason=reason, request_ref=request_ref, email_hash=email_hash
    )
    with transaction.atomic(durable=True):
        deleted, owners = _rows_delete(person_id)
        audit_record(
            actor=actor,
            action="erase",
            object_type="person",
            object_ids=[person_id],
            person_ids=[person_id],
            detail={"reason": reason, "rows": deleted, "request": bool(request_ref), "records": len(owners)},
        )
    keep = {str(owner) for owner in keep_keys_of}
    owner_keys_destroy(owner_ids=[o for o in owners if o not in keep], reason=reason, request_ref=request_ref)
    storage_scrub()


def erasure_journal_replay(*, actor: Actor) -> list[str]:
    """Remove again the rows and keys of every person in the erasure journal (after a restore).

    Returns the ids whose rows or data key had come back. Each gets an audit event.
    """
    from rekisteri.people.models import Person

    journal = {str(pid) for pid in erased_person_ids()}
    # A key store restored from a backup brings back wrapped keys: destroy them again,
    # keeping each tombstone's first record.
    keys_back = {
        str(pid)
        for pid in DataKey.objects.using(KEYSTORE_DB)
        .filter(person_id__in=journal)
        .values_list("person_id", flat=True)
    }
    for person_id in keys_back:
        _key_destroy_keeping_first_record(person_id=person_id, reason="other", request_ref="", email_hash="")
    returned = [str(pid) for pid in Person.objects.filter(pk__in=journal).values_list("pk", flat=True)]
    returned.extend(keys_back)
    # Orphan rows (a person row gone but dependants left) are swept too. Rows of a model with
    # a finder of its own (the blind index, whose entries are otherwise found through the
    # person's list of them) go here, by their link: a list may be missing while its
    # entries came back. Counted per person for the audit events.
    swept: Counter = Counter()
    for entry in personal_data_models():
        if entry.person_lookup != "pk" and entry.erasure == "delete":
            field = entry.person_lookup + "_id"
            linked = entry.model._default_manager.filter(**{f"{field}__in": journal})
            stray = [str(pid) for pid in linked.values_list(field, flat=True)]
            returned.extend(stray)
            if entry.rows is not None:
                swept.update(stray)
                _raw_delete(linked)
    returned = sorted(set(returned))
    for person_id in returned:
        with transaction.atomic():
            deleted, owners = _rows_delete(person_id)
            deleted += swept[person_id]
            audit_record(
                actor=actor,
                action="erase_replayed",
                object_type="person",
                object_ids=[person_id],
                person_ids=[person_id],
                detail={"rows": deleted, "key": person_id in keys_back},
            )
        owner_keys_destroy(owner_ids=owners, reason="other")
    storage_scrub()
    return returned
