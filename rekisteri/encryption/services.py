"""Keeping a person's blind-index entries in step with their values."""

from __future__ import annotations

from collections.abc import Iterable

from rekisteri.encryption.models import SearchTerm
from rekisteri.keystore.services import indexer
from rekisteri.lib.blind_index import KIND_NAME_PREFIX, KIND_NAME_WORD

# The blind indexer's name kinds as stored in SearchTerm.kind.
NAME_KINDS = {KIND_NAME_PREFIX: SearchTerm.Kind.NAME, KIND_NAME_WORD: SearchTerm.Kind.NAME_WORD}


def search_terms_for(*, first_name: str, last_name: str, email: str, phone: str) -> list[tuple[int, int]]:
    """(kind, term) pairs for one person's searchable values."""
    blind = indexer()
    terms: list[tuple[int, int]] = []
    if email:
        terms.append((SearchTerm.Kind.EMAIL, blind.index_email(email)))
    if phone:
        terms.append((SearchTerm.Kind.PHONE, blind.index_phone(phone)))
    terms.extend((NAME_KINDS[kind], term) for kind, term in blind.index_name_terms(first_name, last_name))
    return terms


def person_reindex(person) -> None:
    """Replace the person's index entries; call inside the transaction that saves the person."""
    SearchTerm.objects.filter(person_id=person.pk).delete()
    persons_index_bulk([person])


def persons_index_bulk(persons: Iterable) -> None:
    rows = [
        SearchTerm(person_id=person.pk, kind=kind, term=term)
        for person in persons
        for kind, term in search_terms_for(
            first_name=person.first_name, last_name=person.last_name, email=person.email, phone=person.phone
        )
    ]
    SearchTerm.objects.bulk_create(rows, batch_size=5000)


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
