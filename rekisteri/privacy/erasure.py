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
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.db.id_set import id_set_where
from rekisteri.errors import ServiceError
from rekisteri.keystore.models import DataKey, ErasureTombstone
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.keystore.services import (
    KeyDestroyed,
    ciphers_of_wrapped,
    email_suppression_hash,
    erased_person_ids,
    key_destroy,
    keys_destroy,
    wrapped_keys_of,
)
from rekisteri.privacy.erasure_proof import ErasureProof
from rekisteri.privacy.registry import entry_for, personal_data_models
from rekisteri.privacy.tasks import erasure_scans_enqueue

# Reasons are codes, never free text: the journal and the audit trail outlive the person.
ERASURE_REASONS = {
    "erasure_request": _("The person asked for erasure (Art. 17)"),
    "no_longer_needed": _("No longer needed for its purposes (section 7)"),
    "retention": _("Retention period ended (section 7)"),
    "duplicate": _("Duplicate record"),
    "unlawful": _("Processed without a legal basis"),
    "other": _("Other reason"),
}


class ErasureRefused(ServiceError):
    """An erasure the primitive will not start: an unknown reason, a reference too long, or a
    caller holding a transaction (the key store commits on its own)."""


def _unknown_reason() -> ErasureRefused:
    return ErasureRefused(
        _("Unknown erasure reason; choose one of %(reasons)s."),
        code="erasure.unknown_reason",
        params={"reasons": ", ".join(ERASURE_REASONS)},
        field="reason",
    )


def _inside_transaction() -> ErasureRefused:
    return ErasureRefused(
        _("An erasure cannot run inside a transaction: its key is destroyed in a commit of its own."),
        code="erasure.inside_transaction",
    )


class Removed:
    """Rows deleted and detached per model (the erasure's evidence), and the ids of
    detached rows that own a data key."""

    def __init__(self):
        self.deleted: Counter = Counter()
        self.detached: Counter = Counter()
        self.owners: list[str] = []

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def _rows_delete(person_id: UUID | str) -> Removed:
    """Delete every registered row of the person, dependants first, the person last."""
    removed = Removed()
    entries = personal_data_models()
    for entry in entries:
        if entry.person_lookup != "pk" and entry.erasure == "detach":
            rows = entry.rows_for(person_id)
            if entry.own_key:
                removed.owners.extend(str(pk) for pk in rows.values_list("pk", flat=True))
            removed.detached[entry.label] += rows.update(**{entry.person_lookup: None})
    for entry in entries:
        if entry.person_lookup != "pk" and entry.erasure == "delete":
            removed.deleted[entry.label] += _raw_delete(entry.rows_for(person_id))
    for entry in entries:
        if entry.person_lookup == "pk":
            removed.deleted[entry.label] += _raw_delete(entry.rows_for(person_id))
    return removed


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


def storage_scrub() -> list[dict]:
    """Checkpoint and truncate SQLite write-ahead logs so deleted pages leave no copies.

    secure_delete (see settings) already overwrites freed pages in the database file; the
    WAL still holds the old page images until a checkpoint, which TRUNCATE then empties.
    PostgreSQL keeps dead tuples until VACUUM, but they are ciphertext under a destroyed key
    and pg_dump never writes them. Returns what was done per database (erasure evidence):
    SQLite's checkpoint answer (busy, WAL frames, frames checkpointed), or why nothing.
    """
    done = []
    for alias in ("default", KEYSTORE_DB):
        connection = connections[alias]
        state = {"database": alias, "vendor": connection.vendor}
        if connection.vendor != "sqlite":
            state["checkpoint"] = "not_applicable"
        elif connection.in_atomic_block:
            state["checkpoint"] = "skipped_in_transaction"
        else:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                busy, frames, checkpointed = cursor.fetchone()
            state.update(checkpoint="truncate", busy=busy, wal_frames=frames, checkpointed=checkpointed)
        done.append(state)
    return done


def inside_transaction() -> bool:
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


def key_erase(*, person_id: UUID | str, reason: str) -> None:
    """Destroy a person's data key and journal it, when their rows are already gone.

    For a person merged into another (rekisteri.people.merge): the rows moved to the
    survivor, re-encrypted under the survivor's key, in the merge's own transaction. No
    suppression hash: the address lives on in the survivor.
    """
    if reason not in ERASURE_REASONS:
        raise _unknown_reason()
    _key_destroy_keeping_first_record(person_id=person_id, reason=reason, request_ref="", email_hash="")


def _evidence_record(
    actor: Actor,
    person_ids: list[str],
    evidence: dict,
    proof: ErasureProof,
    *,
    reason: str,
    request_ref: str = "",
    also=None,
    scan_enqueue: bool = True,
) -> None:
    """The evidence is kept in its record (privacy.ErasureRecord, with the scan's probes while
    it is pending) and joins the audit trail (ids and counts only), whoever asked for the erasure.
    A pending scan is queued for the worker in the same transaction (one durable commit)."""
    with transaction.atomic():
        if also is not None:
            also(person_ids)
        proof.record(
            evidence=evidence,
            reason=reason,
            request_ref=request_ref,
            erased_by=actor.label or f"user:{actor.user_id}",
        )
        audit_record(
            actor=actor,
            action="erase_evidence",
            object_type="person",
            object_ids=person_ids,
            person_ids=person_ids,
            detail=evidence,
        )
        if scan_enqueue and evidence["scan"].get("pending"):
            # The byte scan runs in the worker, after the answer (rekisteri.privacy.erasure_scan).
            erasure_scans_enqueue()


def erasure_check(*, reason: str, request_ref: str = "") -> None:
    """Refuse (ErasureRefused) an erasure person_erase would refuse, before the caller writes
    anything that assumes it will happen (the Art. 19 recipient tasks)."""
    if reason not in ERASURE_REASONS:
        raise _unknown_reason()
    if len(request_ref) > 100:
        raise ErasureRefused(
            _("A request reference is at most %(limit)s characters."),
            code="erasure.reference_too_long",
            params={"limit": 100},
            field="request_ref",
        )
    if inside_transaction():
        # The key store commits on its own; inside an outer transaction a later rollback
        # would bring back rows whose key is already gone.
        raise _inside_transaction()


def person_erase(
    *, actor: Actor, person_id: UUID | str, reason: str, request_ref: str = "", keep_keys_of=()
) -> dict:
    """Erase a person: destroy their key, delete their rows, keep a tombstone and the audit event.

    Detached records with keys of their own (rights requests about the person) lose those
    keys too, except the ones in `keep_keys_of` (see owner_keys_destroy). Returns the
    erasure's evidence (rekisteri.privacy.erasure_proof), also recorded in the audit trail.
    """
    # The person's own model, reached through the registry: privacy sits below people.
    person_model = entry_for("people.Person").model

    erasure_check(reason=reason, request_ref=request_ref)
    person = person_model.objects.filter(pk=person_id).first()
    proof, _ = _before_erasure([str(person_id)], {})
    email_hash = ""
    if person is not None:
        try:
            email_hash = email_suppression_hash(person.email.casefold()) if person.email else ""
        except KeyDestroyed:
            email_hash = ""  # an earlier erasure died half-way: finish it
    _key_destroy_keeping_first_record(
        person_id=person_id, reason=reason, request_ref=request_ref, email_hash=email_hash
    )
    proof.keys_destroyed()
    with transaction.atomic(durable=True):
        removed = _rows_delete(person_id)
        audit_record(
            actor=actor,
            action="erase",
            object_type="person",
            object_ids=[person_id],
            person_ids=[person_id],
            detail={
                "reason": reason,
                "rows": removed.total,
                "request": bool(request_ref),
                "records": len(removed.owners),
            },
        )
    keep = {str(owner) for owner in keep_keys_of}
    owners = [o for o in removed.owners if o not in keep]
    owner_keys_destroy(owner_ids=owners, reason=reason, request_ref=request_ref)
    evidence = proof.finish(rows=removed.deleted, detached=removed.detached, storage=storage_scrub())
    _evidence_record(actor, [str(person_id)], evidence, proof, reason=reason, request_ref=request_ref)
    return evidence


def _encrypted_columns(model) -> list:
    from rekisteri.encryption.fields import EncryptedTextField  # privacy sits below its users

    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def _before_erasure(
    person_ids: list[str], prepared: dict, *, scan: bool = True
) -> tuple[ErasureProof, dict[str, str]]:
    """What an erasure reads before it destroys anything, one statement per model: the
    wrapped keys and every ciphertext of the persons (the proof's probes), and the
    suppression hash of each address, decrypted from the same read of the person rows."""
    proof = ErasureProof(person_ids, scan=scan)
    wrapped = wrapped_keys_of(person_ids)
    proof.keys(wrapped)
    emails: dict[str, bytes] = {}
    for entry in personal_data_models():
        fields = _encrypted_columns(entry.model) if entry.erasure == "delete" else []
        if not fields:
            continue
        email_at = next((n for n, f in enumerate(fields) if f.name == "email"), None)
        linked = _Linked(entry, person_ids, prepared)
        # The ids as the database returns them, back to the canonical form without parsing.
        canonical = dict(zip(linked.values, person_ids, strict=True))
        for stored, *blobs in linked.select([f.column for f in fields]):
            pid = canonical.get(stored) or _Linked.person_id(stored)
            proof.ciphertexts(pid, [bytes(blob) for blob in blobs if blob is not None])
            if entry.person_lookup == "pk" and email_at is not None and blobs[email_at] is not None:
                emails[pid] = bytes(blobs[email_at])
    ciphers = ciphers_of_wrapped({pid: wrapped[pid] for pid in emails if pid in wrapped})
    table = entry_for("people.Person").model._meta.db_table
    hashes = dict.fromkeys(person_ids, "")
    for pid, blob in emails.items():
        if pid in ciphers:  # no key: an earlier erasure died half-way, finish it
            email = ciphers[pid].decrypt(blob, table=table, column="email", row_id=UUID(pid))
            hashes[pid] = email_suppression_hash(email.casefold()) if email else ""
    return proof, hashes


class _Linked:
    """The rows of one registered model that name any of a batch of persons, as plain SQL
    with the ids converted once: the ORM would convert a batch's ids again for every model,
    which is most of a batch erasure's time."""

    def __init__(self, entry, person_ids: list[str], prepared: dict):
        model = entry.model
        lookup = entry.person_lookup
        field = model._meta.pk if lookup == "pk" else model._meta.get_field(lookup)
        self.connection = connections[model._default_manager.db]
        quote = self.connection.ops.quote_name
        self.table, self.column, self.pk = (
            quote(model._meta.db_table),
            quote(field.column),
            quote(model._meta.pk.column),
        )
        target = field.target_field if field.is_relation else field
        # Every link names the person's id: converted once per batch, not once per model.
        key = (target.model, target.name, self.connection.alias)
        if key not in prepared:
            prepared[key] = [target.get_db_prep_value(pid, self.connection) for pid in person_ids]
        self.values = prepared[key]
        self.where, self.params = id_set_where(self.connection, self.column, self.values)

    @staticmethod
    def person_id(stored) -> str:
        """A person id as the database returned it (SQLite: 32 hex digits), canonical."""
        return str(stored if isinstance(stored, UUID) else UUID(str(stored)))

    def run(self, sql: str) -> tuple[int, list]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, self.params)
            return cursor.rowcount, (cursor.fetchall() if sql.startswith("SELECT") else [])

    def select(self, columns: list[str]) -> list[tuple]:
        """(person id as stored, *columns) of every linked row."""
        names = ", ".join([self.column, *(self.connection.ops.quote_name(c) for c in columns)])
        return self.run(f"SELECT {names} FROM {self.table} WHERE {self.where}")[1]

    def pks(self) -> list[str]:
        return [str(row[0]) for row in self.run(f"SELECT {self.pk} FROM {self.table} WHERE {self.where}")[1]]

    def detach(self) -> int:
        return max(self.run(f"UPDATE {self.table} SET {self.column} = NULL WHERE {self.where}")[0], 0)

    def delete(self) -> int:
        return max(self.run(f"DELETE FROM {self.table} WHERE {self.where}")[0], 0)


def _rows_delete_many(person_ids: list[str], prepared: dict) -> Removed:
    """_rows_delete for a batch: one statement per model, in the registry's order; models
    whose rows are found through a finder of their own (the blind index) delete in bulk
    through theirs."""
    removed = Removed()
    entries = personal_data_models()
    for entry in entries:
        if entry.person_lookup != "pk" and entry.erasure == "detach":
            linked = _Linked(entry, person_ids, prepared)
            if entry.own_key:
                removed.owners.extend(linked.pks())
            removed.detached[entry.label] += linked.detach()
    for entry in entries:
        if entry.person_lookup != "pk" and entry.erasure == "delete":
            if entry.rows_delete_many is not None:
                removed.deleted[entry.label] += entry.rows_delete_many(person_ids)
            elif entry.rows is not None:
                for person_id in person_ids:
                    removed.deleted[entry.label] += _raw_delete(entry.rows(person_id))
            else:
                removed.deleted[entry.label] += _Linked(entry, person_ids, prepared).delete()
    for entry in entries:
        if entry.person_lookup == "pk":
            removed.deleted[entry.label] += _Linked(entry, person_ids, prepared).delete()
    return removed


def persons_erase(
    *,
    actor: Actor,
    person_ids,
    reason: str,
    batch_size: int = 2000,
    progress=None,
    evidence: list | None = None,
    scan_every: int = 1,
    with_evidence=None,
    scan_enqueue: bool = True,
) -> int:
    """Erase many persons as person_erase erases one, in batches (the retention sweep).

    Per batch: the keys are destroyed and journalled in one key-store transaction, then the
    rows go in one transaction with one audit event naming every person of the batch, the
    storage is scrubbed and the batch's evidence kept (appended to `evidence`, recorded in its
    ErasureRecord and the audit trail) with its byte scan pending: the worker scans once for
    every pending batch (queued with each batch's evidence, unless `scan_enqueue` is false and
    the caller queues it after its own last batch). A batch interrupted
    after its keys were destroyed is finished by erasure_journal_replay, as for
    person_erase. `scan_every`: scan every Nth batch only (0: none; settings.SWEEP_SCAN_EVERY).
    `with_evidence(batch)` writes the caller's own report of a batch in the transaction that
    records its evidence (one durable commit fewer per batch).
    Returns persons erased.
    """
    if reason not in ERASURE_REASONS:
        raise _unknown_reason()
    if inside_transaction():
        raise _inside_transaction()
    ids = [str(pid) for pid in person_ids]
    done = 0
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        prepared: dict = {}  # the batch's ids in database form, converted once
        scan = bool(scan_every) and (start // batch_size) % scan_every == 0
        proof, hashes = _before_erasure(batch, prepared, scan=scan)
        keys_destroy(email_hashes=hashes, reason=reason)
        proof.keys_destroyed()
        with transaction.atomic(durable=True):
            removed = _rows_delete_many(batch, prepared)
            audit_record(
                actor=actor,
                action="erase",
                object_type="person",
                object_ids=batch,
                person_ids=batch,
                detail={
                    "reason": reason,
                    "rows": removed.total,
                    "persons": len(batch),
                    "records": len(removed.owners),
                },
            )
        owner_keys_destroy(owner_ids=removed.owners, reason=reason)
        proven = proof.finish(rows=removed.deleted, detached=removed.detached, storage=storage_scrub())
        _evidence_record(
            actor, batch, proven, proof, reason=reason, also=with_evidence, scan_enqueue=scan_enqueue
        )
        if evidence is not None:
            evidence.append(proven)
        done += len(batch)
        if progress is not None:
            progress(done, len(ids))
    return done


def erasure_journal_replay(*, actor: Actor) -> list[str]:
    """Remove again the rows and keys of every person in the erasure journal (after a restore).

    Returns the ids whose rows or data key had come back. Each gets an audit event.
    """
    # The person's own model, reached through the registry: privacy sits below people.
    person_model = entry_for("people.Person").model

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
    returned = [str(pid) for pid in person_model.objects.filter(pk__in=journal).values_list("pk", flat=True)]
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
            removed = _rows_delete(person_id)
            audit_record(
                actor=actor,
                action="erase_replayed",
                object_type="person",
                object_ids=[person_id],
                person_ids=[person_id],
                detail={"rows": removed.total + swept[person_id], "key": person_id in keys_back},
            )
        owner_keys_destroy(owner_ids=removed.owners, reason="other")
    storage_scrub()
    return returned
