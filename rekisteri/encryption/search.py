"""Finding persons through the blind index; candidates are re-checked by the caller."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from rekisteri.encryption.models import SearchTerm
from rekisteri.keystore.services import indexer


def candidates_by_email(email_lookup: str) -> QuerySet:
    """Person ids whose e-mail index matches (false positives possible: re-check)."""
    return SearchTerm.objects.filter(
        kind=SearchTerm.Kind.EMAIL, term=indexer().index_email(email_lookup)
    ).values("person_id")


def candidates_by_phone(e164: str) -> QuerySet:
    return SearchTerm.objects.filter(kind=SearchTerm.Kind.PHONE, term=indexer().index_phone(e164)).values(
        "person_id"
    )


def candidates_by_name(query: str) -> QuerySet | None:
    """Person ids having every term of a name query; None when the query has no terms."""
    terms = indexer().query_terms(query)
    if not terms:
        return None
    matches = SearchTerm.objects.filter(kind=SearchTerm.Kind.NAME, term__in=terms).values("person_id")
    if len(terms) == 1:
        return matches
    return matches.annotate(hits=Count("term", distinct=True)).filter(hits=len(terms)).values("person_id")
