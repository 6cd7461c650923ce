"""Keeping a person's blind-index entries in step with their values."""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Any

from django.db import connections, router
from django.db.models import QuerySet

from rekisteri.db.id_set import id_set_where
from rekisteri.encryption.models import PersonSearchTerms, SearchTerm
from rekisteri.keystore.services import email_suppression_hash, indexer
from rekisteri.lib.blind_index import KIND_NAME_PREFIX, KIND_NAME_WORD, address_hash_entry

# The blind indexer's name kinds as stored in SearchTerm.kind.
NAME_KINDS = {KIND_NAME_PREFIX: SearchTerm.Kind.NAME, KIND_NAME_WORD: SearchTerm.Kind.NAME_WORD}


def search_terms_for(*, first_name: str, last_name: str, email: str, phone: str) -> list[tuple[int, int]]:
    """(kind, term) pairs for one person's searchable values."""
    blind = indexer()
    terms: list[tuple[int, int]] = []
    if email:
        terms.append((SearchTerm.Kind.EMAIL, blind.index_email(email)))
        terms.append((SearchTerm.Kind.ADDRESS_HASH, address_hash_term(email)))
    if phone:
        terms.append((SearchTerm.Kind.PHONE, blind.index_phone(phone)))
    terms.extend((NAME_KINDS[kind], term) for kind, term in blind.index_name_terms(first_name, last_name))
    return terms


def address_hash(email: str) -> str:
    """The full-width keyed hash of an address, as the suppression list and the erasure
    journal keep it ("" for no address)."""
    return email_suppression_hash(email.strip().casefold()) if email else ""


def address_hash_term(email: str) -> int:
    """The person's ADDRESS_HASH entry: the first bits of `address_hash` (see lib.blind_index)."""
    return address_hash_entry(address_hash(email), indexer().bits)


# kind (1-5), term (a signed 64-bit value, as stored; never negative, so the bytes of two
# entries compare as their values do: encryption.search tests entries in SQL that way)
TERM_FORMAT = _TERM = struct.Struct(">Bq")


def pack_terms(terms: Iterable[tuple[int, int]]) -> bytes:
    """A person's (kind, term) pairs as PersonSearchTerms.terms stores them."""
    pack = _TERM.pack
    return b"".join([pack(kind, term) for kind, term in terms])


def unpack_terms(packed: bytes | memoryview | None) -> list[tuple[int, int]]:
    return list(_TERM.iter_unpack(bytes(packed))) if packed else []


def person_search_terms(person_id: Any) -> QuerySet:
    """The person's blind-index entries, by their primary keys (see PersonSearchTerms)."""
    packed = PersonSearchTerms.objects.filter(person_id=person_id).values_list("terms", flat=True).first()
    keys = [(kind, term, person_id) for kind, term in unpack_terms(packed)]
    return SearchTerm.objects.filter(pk__in=keys) if keys else SearchTerm.objects.none()


def persons_search_terms_delete(person_ids: list) -> int:
    """Delete many persons' blind-index entries and their records (batch erasure): the
    entries are read from the records in one query and deleted by primary key in one
    executemany, instead of a query and a delete per person. The ids go in as one bound set
    (rekisteri.db.id_set), converted once. Returns the rows deleted."""
    from django.db import connections

    connection = connections[SearchTerm._default_manager.db]
    quote = connection.ops.quote_name
    person_field = PersonSearchTerms._meta.get_field("person")
    ids = [person_field.get_db_prep_value(pid, connection) for pid in person_ids]
    records = quote(PersonSearchTerms._meta.db_table)
    where, where_params = id_set_where(connection, quote(person_field.column), ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote(person_field.column)}, terms FROM {records} WHERE {where}", where_params
        )
        # The person's id as the database returned it: already in its stored form.
        params = [
            (kind, term, db_id) for db_id, packed in cursor.fetchall() for kind, term in unpack_terms(packed)
        ]
        if params:
            table = quote(SearchTerm._meta.db_table)
            cursor.executemany(
                f"DELETE FROM {table} WHERE kind = %s AND term = %s AND person_id = %s", params
            )
        cursor.execute(f"DELETE FROM {records} WHERE {where}", where_params)
        return len(params) + max(cursor.rowcount, 0)


def person_reindex(person) -> None:
    """Replace the person's index entries; call inside the transaction that saves the person."""
    person_search_terms(person.pk).delete()
    PersonSearchTerms.objects.filter(person_id=person.pk).delete()
    persons_index_bulk([person])


def person_index_new(person_id: Any, terms: list[tuple[int, int]]) -> None:
    """The entries of a person who has none yet (just created), from `search_terms_for`
    computed before the transaction; call inside the transaction that saves the person."""
    # Two statements written here: building them with bulk_create cost more than running them
    # on every create (benchmarks/README.md, the single-write path); db.bulk_insert's COPY
    # would cost PostgreSQL a round trip more for a handful of rows.
    connection = connections[router.db_for_write(SearchTerm)]
    person_value = SearchTerm._meta.get_field("person").get_db_prep_save(person_id, connection)
    packed = pack_terms(terms)
    with connection.cursor() as cursor:
        if terms:
            rows = ", ".join(["(%s, %s, %s)"] * len(terms))
            cursor.execute(
                f"INSERT INTO {SearchTerm._meta.db_table} (person_id, kind, term) VALUES {rows}",
                [value for kind, term in terms for value in (person_value, kind, term)],
            )
        cursor.execute(
            f"INSERT INTO {PersonSearchTerms._meta.db_table} (person_id, terms) VALUES (%s, %s)",
            [person_value, bytearray(packed) if connection.vendor == "sqlite" else packed],
        )


def persons_index_bulk(persons: Iterable) -> None:
    """Index entries for persons that have none yet, and the record of them."""
    rows: list[SearchTerm] = []
    records: list[PersonSearchTerms] = []
    for person in persons:
        terms = search_terms_for(
            first_name=person.first_name, last_name=person.last_name, email=person.email, phone=person.phone
        )
        rows.extend(SearchTerm(person_id=person.pk, kind=kind, term=term) for kind, term in terms)
        records.append(PersonSearchTerms(person_id=person.pk, terms=pack_terms(terms)))
    SearchTerm.objects.bulk_create(rows, batch_size=5000)
    PersonSearchTerms.objects.bulk_create(records, batch_size=5000)


def tampering_report(*, actor, exc) -> None:
    """Record a failed authentication of a ciphertext in the audit trail (ids only).

    Called by the request and command layers after the failing transaction has rolled back,
    so the event survives.
    """
    from rekisteri.audit.services import audit_record

    audit_record(
        actor=actor,
        action="tamper_detected",
        object_type=str(getattr(exc, "table", "unknown")),
        object_ids=[getattr(exc, "row_id", "")],
        detail={"column": str(getattr(exc, "column", "")), "reason": str(getattr(exc, "reason", ""))[:100]},
    )
