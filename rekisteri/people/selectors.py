"""Reading persons, with the audit event every read of personal data owes."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db.models import Q, QuerySet

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.lib.normalize import NormalizationError, email_lookup_key, normalize_phone
from rekisteri.people.models import Person

MAX_PAGE_SIZE = 200


@dataclass
class SearchPage:
    results: list[Person]
    total: int
    limit: int
    offset: int


def _person_search_queryset(query: str) -> QuerySet[Person]:
    """Persons matching an e-mail (exact), a phone number (any common format) or name words.

    Each word of a name query must begin the first or the last name, so "ann virt" finds
    Anna Virtanen. Matching is case-insensitive.
    """
    query = " ".join(query.split())
    base = Person.objects.select_related("organization")
    if not query:
        return base.none()
    if "@" in query:
        try:
            return base.filter(email_lookup=email_lookup_key(query))
        except NormalizationError:
            return base.none()
    digits = sum(ch.isdigit() for ch in query)
    if digits >= 5 and digits >= len(query.replace(" ", "")) - 4:
        try:
            return base.filter(phone=normalize_phone(query))
        except NormalizationError:
            return base.none()
    condition = Q()
    for word in query.split(" ")[:5]:
        condition &= Q(first_name__istartswith=word) | Q(last_name__istartswith=word)
    return base.filter(condition)


def person_search(
    *, actor: Actor, query: str, limit: int = 20, offset: int = 0, purpose: str = ""
) -> SearchPage:
    """Search persons; the audit event records who searched and whom it showed, not the terms."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(0, offset)
    queryset = _person_search_queryset(query)
    total = queryset.count()
    results = list(queryset.order_by("last_name", "first_name", "id")[offset : offset + limit])
    audit_record(
        actor=actor,
        action="search",
        object_type="person",
        object_ids=[p.pk for p in results],
        person_ids=[p.pk for p in results],
        purpose=purpose,
        detail={"results": len(results), "total": total},
    )
    return SearchPage(results=results, total=total, limit=limit, offset=offset)


def person_list(
    *, actor: Actor, limit: int = 50, offset: int = 0, organization_id: int | None = None, purpose: str = ""
) -> SearchPage:
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(0, offset)
    queryset = Person.objects.select_related("organization")
    if organization_id is not None:
        queryset = queryset.filter(organization_id=organization_id)
    total = queryset.count()
    results = list(queryset.order_by("last_name", "first_name", "id")[offset : offset + limit])
    audit_record(
        actor=actor,
        action="list",
        object_type="person",
        object_ids=[p.pk for p in results],
        person_ids=[p.pk for p in results],
        purpose=purpose,
        detail={"results": len(results)},
    )
    return SearchPage(results=results, total=total, limit=limit, offset=offset)


def person_get(*, actor: Actor, person_id: UUID | str, purpose: str = "") -> Person | None:
    """One person with everything the card shows, or None. Audited as a view."""
    person = (
        Person.objects.select_related("organization", "organization__owner_company")
        .prefetch_related("categories", "bases__purpose", "sources")
        .filter(pk=person_id)
        .first()
    )
    if person is not None:
        audit_record(
            actor=actor,
            action="view",
            object_type="person",
            object_ids=[person.pk],
            person_ids=[person.pk],
            purpose=purpose,
        )
    return person
