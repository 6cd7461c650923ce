"""Finding persons through the blind index; candidates are re-checked by the caller."""

from __future__ import annotations

from django.db.models import QuerySet

from rekisteri.encryption.models import SearchTerm
from rekisteri.encryption.services import NAME_KINDS
from rekisteri.keystore.services import indexer


def email_entry(email_lookup: str) -> tuple[int, int]:
    """The blind-index (kind, value) of an e-mail lookup key."""
    return SearchTerm.Kind.EMAIL, indexer().index_email(email_lookup)


def phone_entry(e164: str) -> tuple[int, int]:
    return SearchTerm.Kind.PHONE, indexer().index_phone(e164)


def candidates_by_email(email_lookup: str) -> QuerySet:
    """Person ids whose e-mail index matches (false positives possible: re-check).

    Candidate querysets are ordered as the primary-key index stores them, so paging through
    them reads the index in order and sorts nothing.
    """
    kind, term = email_entry(email_lookup)
    return SearchTerm.objects.filter(kind=kind, term=term).order_by("person_id").values("person_id")


def candidates_by_phone(e164: str) -> QuerySet:
    kind, term = phone_entry(e164)
    return SearchTerm.objects.filter(kind=kind, term=term).order_by("person_id").values("person_id")


def candidates_by_name(query: str) -> QuerySet | None:
    """Person ids having entries in every range of a name query; None when it has no terms.

    The narrowest range (the longest query word) drives; the others filter. A person whose
    two name forms fall in the driving range ("Anna Annala" for "ann") is listed twice:
    callers that page through candidates skip ids they have seen.
    """
    ranges = sorted(indexer().query_terms(query), key=lambda r: r.high - r.low)
    if not ranges:
        return None

    def entries(term_range):
        return SearchTerm.objects.filter(
            kind=NAME_KINDS[term_range.kind], term__gte=term_range.low, term__lte=term_range.high
        )

    matches = entries(ranges[0])
    for term_range in ranges[1:]:
        matches = matches.filter(person_id__in=entries(term_range).values("person_id"))
    return matches.order_by("term", "person_id").values("person_id")
