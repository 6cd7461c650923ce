"""Creating many persons at once (imports, benchmarks), with the rules of person_create.

Each row is validated and normalised by the same `_clean_person` as person_create, encrypted
by the same model field layer under a data key of its own, indexed by the same blind
indexer and audited with one "create" event per person. What differs is the batching: the
keys of a batch are created with one key-store write, the ciphers are attached to the
instances so no row looks its key up, and the rows of each table go in with one
multi-row statement (COPY on PostgreSQL). One transaction per batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record_many
from rekisteri.encryption.fields import EncryptedTextField, attach_ciphers
from rekisteri.encryption.models import SearchTerm
from rekisteri.keystore.models import DataKey
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.keystore.services import create_keys, indexer
from rekisteri.organizations.models import Organization
from rekisteri.people.models import Person, PersonCategory
from rekisteri.people.services import _clean_person

DEFAULT_BATCH_SIZE = 2000
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
    created = 0
    errors: list[RowError] = []
    first_unwritten_row = 0
    name_terms: dict[str, set[int]] = {}
    batch: list[tuple[int, Mapping[str, Any]]] = []

    def flush() -> None:
        nonlocal created, first_unwritten_row
        cleaned, batch_errors = _clean_batch(batch)
        if batch_errors and not errors:
            first_unwritten_row = batch[0][0]
        errors.extend(batch_errors)
        if not errors:
            created += _write_batch(actor, cleaned, name_terms)
        batch.clear()

    with _page_cache_for_loading():
        for number, row in enumerate(rows, start=1):
            batch.append((number, row))
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
    if errors:
        raise PersonBulkError(errors, created, first_unwritten_row)
    return created


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
            for field, messages in sorted(exc.message_dict.items()):
                errors.append(RowError(number, field, " ".join(messages)))
    return cleaned_rows, errors


def _write_batch(actor: Actor, cleaned_rows: list[dict[str, Any]], name_terms: dict[str, set[int]]) -> int:
    now = timezone.now()
    creator = actor.user.pk if actor.user is not None and actor.user.pk else None
    persons: list[Person] = []
    categories: list[list[str]] = []
    events: list[dict[str, Any]] = []
    for cleaned in cleaned_rows:
        categories.append(cleaned.pop("categories", []))
        person = Person(id=uuid.uuid4(), created_by_id=creator, created_at=now, updated_at=now, **cleaned)
        persons.append(person)
        events.append(
            {
                "action": "create",
                "object_type": "person",
                "object_ids": [person.pk],
                "person_ids": [person.pk],
                "detail": {"fields": sorted(k for k, v in cleaned.items() if v), "bulk": True},
            }
        )
    person_ids = [person.pk for person in persons]
    # The keys commit in the key store first; if the register's transaction then fails they
    # are removed again (keys without rows would be harmless, but are clutter).
    ciphers = create_keys(person_ids)
    try:
        with transaction.atomic():
            attach_ciphers(persons, ciphers, "pk")
            db_ids = _insert_persons(persons)
            _insert_search_terms(persons, db_ids, name_terms)
            _insert(
                PersonCategory._meta.db_table,
                ("person_id", "category"),
                [(db_id, name) for db_id, names in zip(db_ids, categories, strict=True) for name in names],
            )
            audit_record_many(actor=actor, events=events)
    except BaseException:
        DataKey.objects.using(KEYSTORE_DB).filter(person_id__in=person_ids).delete()
        raise
    return len(persons)


def _insert_persons(persons: list[Person]) -> list:
    """Insert the person rows; returns their ids in database form.

    The values come from each field's pre_save, so EncryptedTextField encrypts them exactly as
    Model.save and bulk_create would (with the attached ciphers: no key lookups). Only the
    statement is ours: Django's bulk_create spends more time building SQL than encrypting.
    """
    # As bulk_create does: generated columns and columns with a database default are left to
    # the database.
    fields = [
        field
        for field in Person._meta.concrete_fields
        if not getattr(field, "generated", False) and not field.has_db_default()
    ]
    pk_field = Person._meta.pk
    converters = []
    for field in fields:
        if field is pk_field:
            converters.append(None)
        elif isinstance(field, EncryptedTextField):
            converters.append(field.pre_save)  # bytes or None: both databases take them as they are
        else:
            converters.append(_cached_converter(field))
    db_ids = []
    rows = []
    for person in persons:
        db_id = pk_field.get_db_prep_value(person.pk, connection)
        db_ids.append(db_id)
        rows.append(tuple(db_id if convert is None else convert(person, True) for convert in converters))
    _insert(Person._meta.db_table, tuple(field.column for field in fields), rows)
    return db_ids


def _cached_converter(field):
    """pre_save + get_db_prep_save, remembered per value: a batch repeats its timestamps and ids."""
    cache: dict[Any, Any] = {}

    def convert(instance, add):
        value = field.pre_save(instance, add)
        try:
            return cache[value]
        except KeyError:
            converted = cache[value] = field.get_db_prep_save(value, connection)
            return converted
        except TypeError:  # unhashable
            return field.get_db_prep_save(value, connection)

    return convert


def _insert_search_terms(persons: list[Person], db_ids: list, name_terms: dict[str, set[int]]) -> None:
    """The blind-index rows of search_terms_for, for a whole batch.

    A person's name terms are the union of the terms of each name (index_name_terms works
    on the union of the names' forms), so each distinct name is hashed once per call.
    """
    blind = indexer()
    email_kind, phone_kind, name_kind = SearchTerm.Kind.EMAIL, SearchTerm.Kind.PHONE, SearchTerm.Kind.NAME
    rows: list[tuple] = []
    append, extend = rows.append, rows.extend
    for person, db_id in zip(persons, db_ids, strict=True):
        email, phone = person.email, person.phone
        if email:
            append((email_kind, blind.index_email(email), db_id))
        if phone:
            append((phone_kind, blind.index_phone(phone), db_id))
        terms: set[int] = set()
        for name in (person.first_name, person.last_name):
            cached = name_terms.get(name)
            if cached is None:
                if len(name_terms) > _NAME_CACHE_SIZE:
                    name_terms.clear()
                cached = name_terms[name] = blind.index_name_terms(name)
            terms |= cached
        extend((name_kind, term, db_id) for term in terms)
    # Inserted in the order of the lookup index, consecutive rows land on the same index page
    # instead of one page each: fewer page fetches on a large register.
    rows.sort()
    columns = ("kind", "term", "person_id")
    if connection.vendor == "postgresql":
        # Integers and uuids need no escaping: format the COPY text in one go.
        _copy_text(SearchTerm._meta.db_table, columns, "".join(f"{k}\t{t}\t{p}\n" for k, t, p in rows))
    else:
        _insert(SearchTerm._meta.db_table, columns, rows)


def _copy_text(table: str, columns: tuple[str, ...], text: str) -> None:
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(text)


def _insert(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Many rows in one round: COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)
