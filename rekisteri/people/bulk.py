"""Creating many persons at once (imports, benchmarks), with the rules of person_create.

Each row is validated and normalised by the same `_clean_person` as person_create, encrypted
by the same field layer (EncryptedTextField.encrypt_value) under a data key of its own and
indexed by the same blind indexer. What differs is the batching: the keys of a batch are
created with one key-store write, the rows of each table go in with one multi-row statement
(COPY on PostgreSQL) without model instances, and the batch is audited as one "create"
event naming every person it created (each person is a subject of it, so the person's
history shows it). One transaction per batch; on PostgreSQL, outside a caller's
transaction, a writer thread stores batch N while batch N+1 is validated and encrypted.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Model
from django.utils import timezone

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record_many
from rekisteri.db.bulk_insert import insert_rows
from rekisteri.encryption.fields import EncryptedTextField
from rekisteri.encryption.models import PersonSearchTerms, SearchTerm
from rekisteri.encryption.services import NAME_KINDS, address_hash_term, pack_terms
from rekisteri.errors import english
from rekisteri.keystore.models import DataKey
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.keystore.services import create_keys, indexer
from rekisteri.lib.crypto import encrypt_fields
from rekisteri.lib.ids import uuid7_many
from rekisteri.organizations.models import Organization
from rekisteri.people.models import Person, PersonCategory
from rekisteri.people.services import PERSON_FIELDS, _clean_person

# A batch is one transaction and one audit event. Blind-index entries land all over their
# index, so each batch rewrites most of its pages whatever its size: large batches write
# those pages less often (figures: benchmarks/README.md). Memory: some tens of MB per batch.
DEFAULT_BATCH_SIZE = 20_000
# Distinct names whose blind-index terms are remembered during one call (under 1 KB each).
_NAME_CACHE_SIZE = 50_000


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based position in the input
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.message}"


class PersonBulkError(ValidationError):
    """Some rows were invalid. Batches before the first bad one were created; nothing after."""

    def __init__(self, errors: list[RowError], created: int, first_unwritten_row: int):
        self.row_errors = errors
        self.created = created
        self.first_unwritten_row = first_unwritten_row
        summary = (
            f"{len(errors)} invalid value(s); {created} person(s) before row {first_unwritten_row} "
            f"were created, nothing from row {first_unwritten_row} on was written."
        )
        super().__init__([summary, *(str(error) for error in errors)])


def person_bulk_create(
    *, actor: Actor, rows: Iterable[Mapping[str, Any]], batch_size: int = DEFAULT_BATCH_SIZE
) -> int:
    """Create persons from dicts of person_create's arguments; returns how many were created.

    Rows are taken `batch_size` at a time; each batch is validated completely before any of
    it is written, and written in one transaction. At the first batch with an invalid row
    the writing stops, the remaining rows are still validated so the report is complete,
    and PersonBulkError lists every error with its row number.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    errors: list[RowError] = []
    first_unwritten_row = 0
    name_terms: dict[str, frozenset] = {}
    batch: list[tuple[int, Mapping[str, Any]]] = []

    # The connection itself, not the thread-local proxy: it is consulted for every value.
    conn = connections[DEFAULT_DB_ALIAS]
    writer = _BatchWriter(actor, threaded=_BatchWriter.wanted())

    def flush() -> None:
        nonlocal first_unwritten_row
        cleaned, batch_errors = _clean_batch(batch)
        if batch_errors and not errors:
            first_unwritten_row = batch[0][0]
        errors.extend(batch_errors)
        if not errors:
            writer.submit(_prepare_batch(actor, conn, cleaned, name_terms))
        batch.clear()

    with _page_cache_for_loading(), _cycle_collector_paused():
        try:
            for number, row in enumerate(rows, start=1):
                batch.append((number, row))
                if len(batch) >= batch_size:
                    flush()
            if batch:
                flush()
        finally:
            writer.close()
    if errors:
        raise PersonBulkError(errors, writer.created, first_unwritten_row)
    return writer.created


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Python's cycle collector off while loading, as it was before afterwards.

    A batch allocates tens of objects per person (rows, ciphertexts, index entries), so the
    collector runs hundreds of times per batch and scans ever more long-lived objects:
    measured at about a fifth of the preparing time. What a load allocates holds no
    reference cycles (tuples, lists, bytes, dicts of plain values); reference counting
    frees it as before.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_LOADING_CACHE_KIB = 128 * 1024


@contextmanager
def _page_cache_for_loading() -> Iterator[None]:
    """On SQLite, a page cache of 128 MB while loading (the default is 2 MB).

    Each batch touches pages all over the blind index; with the small default cache they
    spill to the WAL mid-transaction and are written again at commit.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute("PRAGMA page_size")
        page_size = cursor.fetchone()[0]
        current_kib = -previous if previous < 0 else previous * page_size // 1024
        if current_kib < _LOADING_CACHE_KIB:
            cursor.execute(f"PRAGMA cache_size = -{_LOADING_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {previous}")


def _clean_batch(batch: list[tuple[int, Mapping[str, Any]]]) -> tuple[list[dict[str, Any]], list[RowError]]:
    """Validate a batch with person_create's rules; organizations are fetched in one query."""
    org_ids = {
        int(row["organization"])
        for _, row in batch
        if isinstance(row, Mapping)
        and not isinstance(row.get("organization"), Organization)
        and str(row.get("organization", "")).isdigit()
    }
    organizations = Organization.objects.in_bulk(org_ids) if org_ids else {}
    cleaned_rows: list[dict[str, Any]] = []
    errors: list[RowError] = []
    for number, row in batch:
        if not isinstance(row, Mapping):
            errors.append(RowError(number, "row", "A row must be a mapping of field names to values."))
            continue
        data = {"first_name": "", "last_name": "", **row}
        if str(data.get("organization", "")).isdigit() and int(data["organization"]) in organizations:
            data["organization"] = organizations[int(data["organization"])]  # spares _clean_person a query
        try:
            cleaned_rows.append(_clean_person(data))
        except ValidationError as exc:
            for field, error in sorted(exc.error_dict.items()):
                # Bulk loads come from the API and the CLI, which speak English.
                errors.append(RowError(number, field, english(ValidationError(error))))
    return cleaned_rows, errors


@dataclass
class _PreparedBatch:
    """A validated batch in database form, its keys already stored: ready for one transaction."""

    person_ids: list  # UUIDs
    person_columns: tuple[str, ...]
    person_rows: list
    term_rows: list[tuple]
    term_records: list[tuple]
    category_rows: list[tuple]
    given_fields: list[str]


def _prepare_batch(
    actor: Actor, conn, cleaned_rows: list[dict[str, Any]], name_terms: dict[str, frozenset]
) -> _PreparedBatch:
    """Everything of a batch that needs no register transaction: ids, keys, ciphertexts, index
    entries. The keys commit in the key store here, before any of the persons' rows exist."""
    now = timezone.now()
    creator = actor.user.pk if actor.user is not None and actor.user.pk else None
    person_ids = uuid7_many(len(cleaned_rows))  # what Person's id default gives, drawn at once
    categories = [cleaned.pop("categories", []) for cleaned in cleaned_rows]
    given_fields = sorted(
        name for name in PERSON_FIELDS if any(cleaned.get(name) for cleaned in cleaned_rows)
    )
    ciphers = create_keys(person_ids)
    try:
        columns, rows, db_ids = _person_rows(
            conn, person_ids, cleaned_rows, ciphers, now=now, creator=creator
        )
        term_rows, term_records = _search_term_rows(cleaned_rows, db_ids, name_terms)
        return _PreparedBatch(
            person_ids=person_ids,
            person_columns=columns,
            person_rows=rows,
            term_rows=term_rows,
            term_records=term_records,
            category_rows=[
                (db_id, name) for db_id, names in zip(db_ids, categories, strict=True) for name in names
            ],
            given_fields=given_fields,
        )
    except BaseException:
        _remove_keys(person_ids)
        raise


def _store_batch(actor: Actor, batch: _PreparedBatch) -> int:
    """Insert a prepared batch and its audit event in one transaction of this thread's connection."""
    conn = connections[DEFAULT_DB_ALIAS]
    try:
        with transaction.atomic():
            insert_rows(conn, Person, batch.person_columns, batch.person_rows)
            insert_rows(conn, SearchTerm, ("kind", "term", "person_id"), batch.term_rows)
            insert_rows(conn, PersonSearchTerms, ("person_id", "terms"), batch.term_records)
            insert_rows(conn, PersonCategory, ("person_id", "category"), batch.category_rows)
            audit_record_many(
                actor=actor,
                events=[
                    {
                        "action": "create",
                        "object_type": "person",
                        "object_ids": batch.person_ids,
                        "person_ids": batch.person_ids,
                        "detail": {
                            "bulk": True,
                            "persons": len(batch.person_ids),
                            "fields": batch.given_fields,
                        },
                    }
                ],
            )
    except BaseException:
        # Keys without rows would be harmless, but are clutter.
        _remove_keys(batch.person_ids)
        raise
    return len(batch.person_ids)


def _remove_keys(person_ids: list) -> None:
    DataKey.objects.using(KEYSTORE_DB).filter(person_id__in=person_ids).delete()


class _BatchWriter:
    """Stores prepared batches: on PostgreSQL in a thread of its own, one batch at a time.

    While the server inserts, indexes and flushes batch N (on this VM about a third of the
    load's wall time, the server's own work on its own core), this process validates and
    encrypts batch N+1. Only outside a transaction: the writer's connection is its own, so
    a caller's transaction could not cover its rows. SQLite stores in the calling thread
    (its inserts are this process's work; a thread would only add a second core).
    """

    # While both threads run, the writer wakes from each network wait and must get the GIL
    # back from the preparing thread; with Python's default 5 ms switch interval it waits
    # that long dozens of times per batch, and the writer becomes the slower of the two.
    _SWITCH_INTERVAL = 0.0002

    def __init__(self, actor: Actor, *, threaded: bool):
        self.actor = actor
        self.created = 0
        self._executor = None
        self._pending: Future | None = None
        self._switch_interval = sys.getswitchinterval()
        if threaded:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-writer")
            sys.setswitchinterval(min(self._switch_interval, self._SWITCH_INTERVAL))

    @staticmethod
    def wanted() -> bool:
        return (
            connection.vendor == "postgresql"
            and not connection.in_atomic_block
            and not connections[KEYSTORE_DB].in_atomic_block
        )

    def submit(self, batch: _PreparedBatch) -> None:
        if self._executor is None:
            self.created += _store_batch(self.actor, batch)
            return
        try:
            self.wait()  # one batch in flight: memory stays bounded, errors surface in order
        except BaseException:
            _remove_keys(batch.person_ids)  # the batch before failed: this one is never stored
            raise
        self._pending = self._executor.submit(self._store_in_thread, batch)

    def wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self.created += pending.result()  # the writer's exception is raised here

    def _store_in_thread(self, batch: _PreparedBatch) -> int:
        try:
            return _store_batch(self.actor, batch)
        finally:
            connections.close_all()  # this thread's own connections

    def close(self) -> None:
        if self._executor is not None:
            try:
                self.wait()
            finally:
                self._executor.shutdown(wait=True)
                sys.setswitchinterval(self._switch_interval)


def _person_rows(
    conn, person_ids: list, cleaned_rows: list[dict[str, Any]], ciphers, *, now, creator
) -> tuple[tuple[str, ...], list, list]:
    """The person rows in database form: (columns, rows, ids in database form).

    Every column gets what Model.save would store: encrypted fields what the field's
    encrypt_value gives with the person's new cipher, the rest get_db_prep_save's value.
    Columns that person_create's arguments do not set (timestamps, creator, restriction dates...)
    are the same for the whole batch: converted once into a row template.
    """
    # As bulk_create does: generated columns and columns with a database default are left to
    # the database.
    fields = [
        field
        for field in Person._meta.concrete_fields
        if not getattr(field, "generated", False) and not field.has_db_default()
    ]
    pk_field = Person._meta.pk
    fixed = {"created_by": creator, "created_at": now, "updated_at": now}
    template: list = []
    pk_index = fields.index(pk_field)
    encrypted: list[tuple[int, str, EncryptedTextField]] = []
    plain: list[tuple[int, str, Any]] = []
    for index, field in enumerate(fields):
        template.append(None)
        if field is pk_field:
            continue
        if field.name not in PERSON_FIELDS:
            value = fixed.get(field.name, field.get_default())
            if isinstance(field, EncryptedTextField):
                template[index] = field.encrypt_value(None, value, row_id=None)  # empty: no ciphertext
            else:
                template[index] = field.get_db_prep_save(value, conn)
        elif isinstance(field, EncryptedTextField):
            encrypted.append((index, field.name, field))
        else:
            plain.append((index, field.name, _cached_converter(conn, field)))
    table = Person._meta.db_table
    db_ids = []
    rows = []
    # The encrypted cells of the whole batch, encrypted in one call after the loop; each is
    # exactly what EncryptedTextField.encrypt_value would store.
    cells: list[tuple] = []
    cell_places: list[tuple[list, int]] = []
    add_cell, add_place = cells.append, cell_places.append
    to_db = pk_field.get_db_prep_value
    # create_keys answers in the order asked, keyed by the canonical id that each ciphertext
    # binds: the ids are spelled once.
    for (row_id, cipher), person_id, cleaned in zip(ciphers.items(), person_ids, cleaned_rows, strict=True):
        row = template.copy()
        row[pk_index] = db_id = to_db(person_id, conn)
        db_ids.append(db_id)
        for index, name, field in encrypted:
            value = cleaned.get(name)
            if type(value) is not str or not value:  # the field decides about the rest
                value = field.plaintext_to_store(value)
                if value is None:
                    continue
            add_cell((cipher, value, table, field.column, row_id))
            add_place((row, index))
        for index, name, convert in plain:
            row[index] = convert(cleaned.get(name, _DEFAULT))
        rows.append(row)
    # As bytearray: SQLite's driver binds it directly, bytes only after an adapter lookup
    # (rekisteri.db.bulk_insert); PostgreSQL's COPY takes either as bytea.
    for (row, index), blob in zip(cell_places, encrypt_fields(cells), strict=True):
        row[index] = bytearray(blob)
    return tuple(field.column for field in fields), rows, db_ids


_DEFAULT = object()


def _cached_converter(conn, field):
    """A value (or the field's default) in database form, remembered per value: a batch
    repeats its timestamps, creator and organizations."""
    cache: dict[Any, Any] = {}

    def convert(value):
        if value is _DEFAULT:
            value = field.get_default()
        elif isinstance(value, Model):
            value = value.pk  # a foreign key's target
        try:
            return cache[value]
        except KeyError:
            converted = cache[value] = field.get_db_prep_save(value, conn)
            return converted
        except TypeError:  # unhashable
            return field.get_db_prep_save(value, conn)

    return convert


def _search_term_rows(
    cleaned_rows: list[dict[str, Any]], db_ids: list, name_terms: dict[str, frozenset]
) -> tuple[list[tuple], list[tuple]]:
    """The blind-index rows of search_terms_for for a whole batch, and each person's
    PersonSearchTerms row.

    A person's name entries are the union of the entries of each name (index_name_terms works
    on the union of the names' forms), so each distinct name is hashed once per call.
    """
    blind = indexer()
    email_kind, phone_kind = int(SearchTerm.Kind.EMAIL), int(SearchTerm.Kind.PHONE)
    hash_kind = int(SearchTerm.Kind.ADDRESS_HASH)
    rows: list[tuple] = []
    records: list[tuple] = []
    extend, append_record = rows.extend, records.append

    def entries(name: str) -> frozenset[tuple[int, int]]:
        cached = name_terms.get(name)
        if cached is None:
            if len(name_terms) > _NAME_CACHE_SIZE:
                name_terms.clear()
            cached = name_terms[name] = frozenset(
                (int(NAME_KINDS[kind]), value) for kind, value in blind.index_name_terms(name)
            )
        return cached

    for cleaned, db_id in zip(cleaned_rows, db_ids, strict=True):
        terms = [*(entries(cleaned.get("first_name", "")) | entries(cleaned.get("last_name", "")))]
        email, phone = cleaned.get("email"), cleaned.get("phone")
        if email:
            terms.append((email_kind, blind.index_email(email)))
            terms.append((hash_kind, address_hash_term(email)))
        if phone:
            terms.append((phone_kind, blind.index_phone(phone)))
        extend([(kind, term, db_id) for kind, term in terms])
        # As bytearray: see rekisteri.db.bulk_insert.
        append_record((db_id, bytearray(pack_terms(terms))))
    # Not sorted into the index's order: with the page cache bulk loading keeps, inserting
    # them sorted measured no faster, and sorting has its own cost.
    return rows, records
