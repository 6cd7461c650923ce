"""Creating many persons at once (imports, benchmarks), with the rules of person_create.

Each row is validated and normalised by the same `_clean_person` as person_create, encrypted
by the same field layer (EncryptedTextField.encrypt_value) under a data key of its own and
indexed by the same blind indexer. What differs is the batching: the keys of a batch are
created with one key-store write, the rows of each table go in with one multi-row statement
(COPY on PostgreSQL) without model instances, and the batch is audited as one "create"
event naming every person it created (each person is a subject of it, so the person's
history shows it). One transaction per batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Model
from django.utils import timezone

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record_many
from rekisteri.encryption.fields import EncryptedTextField
from rekisteri.encryption.models import SearchTerm
from rekisteri.encryption.services import NAME_KINDS
from rekisteri.keystore.models import DataKey
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.keystore.services import create_keys, indexer
from rekisteri.lib.bulk_insert import insert_rows
from rekisteri.organizations.models import Organization
from rekisteri.people.models import Person, PersonCategory
from rekisteri.people.services import PERSON_FIELDS, _clean_person

DEFAULT_BATCH_SIZE = 5000
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
    name_terms: dict[str, set] = {}
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


def _write_batch(actor: Actor, cleaned_rows: list[dict[str, Any]], name_terms: dict[str, set]) -> int:
    now = timezone.now()
    creator = actor.user.pk if actor.user is not None and actor.user.pk else None
    person_ids = [Person._meta.pk.default() for _ in cleaned_rows]
    categories = [cleaned.pop("categories", []) for cleaned in cleaned_rows]
    given_fields = sorted({name for cleaned in cleaned_rows for name, value in cleaned.items() if value})
    # The keys commit in the key store first; if the register's transaction then fails they
    # are removed again (keys without rows would be harmless, but are clutter).
    ciphers = create_keys(person_ids)
    # The connection itself, not the thread-local proxy: it is consulted for every value.
    conn = connections[DEFAULT_DB_ALIAS]
    try:
        with transaction.atomic():
            db_ids = _insert_persons(conn, person_ids, cleaned_rows, ciphers, now=now, creator=creator)
            _insert_search_terms(conn, cleaned_rows, db_ids, name_terms)
            insert_rows(
                conn,
                PersonCategory,
                ("person_id", "category"),
                [(db_id, name) for db_id, names in zip(db_ids, categories, strict=True) for name in names],
            )
            audit_record_many(
                actor=actor,
                events=[
                    {
                        "action": "create",
                        "object_type": "person",
                        "object_ids": person_ids,
                        "person_ids": person_ids,
                        "detail": {"bulk": True, "persons": len(person_ids), "fields": given_fields},
                    }
                ],
            )
    except BaseException:
        DataKey.objects.using(KEYSTORE_DB).filter(person_id__in=person_ids).delete()
        raise
    return len(person_ids)


def _insert_persons(
    conn, person_ids: list, cleaned_rows: list[dict[str, Any]], ciphers, *, now, creator
) -> list:
    """Insert the person rows; returns their ids in database form.

    Every column gets what Model.save would store: encrypted fields go through the field's
    own encrypt_value with the person's new cipher, the rest through get_db_prep_save.
    Columns that person_create's arguments do not set (timestamps, creator, restriction
    dates...) are the same for the whole batch: converted once into a row template.
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
    db_ids = []
    rows = []
    for person_id, cleaned in zip(person_ids, cleaned_rows, strict=True):
        row_id = str(person_id)  # the canonical id bound into each ciphertext
        cipher = ciphers[row_id]
        row = template.copy()
        row[pk_index] = db_id = pk_field.get_db_prep_value(person_id, conn)
        db_ids.append(db_id)
        for index, name, field in encrypted:
            value = cleaned.get(name)
            if value is not None:
                row[index] = field.encrypt_value(cipher, value, row_id=row_id)
        for index, name, convert in plain:
            row[index] = convert(cleaned.get(name, _DEFAULT))
        rows.append(row)
    insert_rows(conn, Person, tuple(field.column for field in fields), rows)
    return db_ids


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


def _insert_search_terms(
    conn, cleaned_rows: list[dict[str, Any]], db_ids: list, name_terms: dict[str, set]
) -> None:
    """The blind-index rows of search_terms_for, for a whole batch.

    A person's name entries are the union of the entries of each name (index_name_terms works
    on the union of the names' forms), so each distinct name is hashed once per call.
    """
    blind = indexer()
    email_kind, phone_kind = SearchTerm.Kind.EMAIL, SearchTerm.Kind.PHONE
    rows: list[tuple] = []
    append, extend = rows.append, rows.extend
    for cleaned, db_id in zip(cleaned_rows, db_ids, strict=True):
        email, phone = cleaned.get("email"), cleaned.get("phone")
        if email:
            append((email_kind, blind.index_email(email), db_id))
        if phone:
            append((phone_kind, blind.index_phone(phone), db_id))
        terms: set[tuple[int, int]] = set()
        for name in (cleaned.get("first_name", ""), cleaned.get("last_name", "")):
            cached = name_terms.get(name)
            if cached is None:
                if len(name_terms) > _NAME_CACHE_SIZE:
                    name_terms.clear()
                cached = name_terms[name] = {
                    (NAME_KINDS[kind], value) for kind, value in blind.index_name_terms(name)
                }
            terms |= cached
        extend((kind, term, db_id) for kind, term in terms)
    # Inserted in the order of the lookup index, consecutive rows land on the same index page
    # instead of one page each: fewer page fetches on a large register.
    rows.sort()
    insert_rows(conn, SearchTerm, ("kind", "term", "person_id"), rows)
