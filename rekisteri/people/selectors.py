"""Reading persons, with the audit event every read of personal data owes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from django.db.models import QuerySet

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.encryption.fields import attach_ciphers, decrypt_now
from rekisteri.encryption.models import SearchTerm
from rekisteri.encryption.search import candidates_by_name, email_entry, phone_entry
from rekisteri.keystore.services import KeyDestroyed, ciphers_for
from rekisteri.lib.blind_index import fold, name_matches
from rekisteri.lib.compiled_query import CompiledQuery, padded_to_power_of_two, sample_ids
from rekisteri.lib.normalize import NormalizationError, email_lookup_key, normalize_phone
from rekisteri.people.models import Person, PersonCategory
from rekisteri.privacy.models import DataSource, ProcessingBasis

MAX_PAGE_SIZE = 200


@dataclass
class SearchPage:
    results: list[Person]
    total: int
    limit: int
    offset: int
    # True when `total` counts blind-index candidates not all of which were re-checked.
    total_is_estimate: bool = False


@dataclass
class _Matcher:
    """Blind-index candidates for a query, and the exact test each candidate must pass."""

    candidates: QuerySet | None
    accept: Callable[[Person], bool]
    # An exact e-mail or phone value: its blind-index (kind, value), whose handful of
    # candidates are loaded in one query.
    exact: tuple[int, int] | None = None


def _matcher(query: str) -> _Matcher:
    """An e-mail (exact, any case), a phone number (any common format) or name words.

    Each word of a name query must begin (3+ letters) or equal (shorter) a word of the first
    or last name, so "ann virt" finds Anna Virtanen. Matching folds case and keeps å, ä, ö.
    """
    query = " ".join(query.split())
    nothing = _Matcher(None, lambda person: False)
    if not query:
        return nothing
    if "@" in query:
        try:
            key = email_lookup_key(query)
        except NormalizationError:
            return nothing
        return _Matcher(None, lambda person: person.email.casefold() == key, exact=email_entry(key))
    digits = sum(ch.isdigit() for ch in query)
    if digits >= 5 and digits >= len(query.replace(" ", "")) - 4:
        try:
            e164 = normalize_phone(query)
        except NormalizationError:
            return nothing
        return _Matcher(None, lambda person: person.phone == e164, exact=phone_entry(e164))
    return _Matcher(
        candidates_by_name(query), lambda person: name_matches(query, person.first_name, person.last_name)
    )


def persons_load(person_ids: list, *, by_term: tuple[int, int] | None = None) -> list[Person]:
    """Persons by id, in the given order, decrypted, with their keys fetched in one query.

    With `by_term` (a blind-index kind and value) instead of ids, the persons whose index has
    that entry, in one query, in the database's order.

    A row whose key is gone belongs to an erased person whose rows came back (a restore
    before the erasure journal was replayed): it is left out, so one such row cannot break
    every list and search for everybody.
    """
    if by_term is not None:
        rows = _PERSONS_BY_TERM.run(by_term)
    elif person_ids:
        rows = _PERSONS_BY_ID.run(padded_to_power_of_two(list(person_ids)))
    else:
        rows = []
    persons = {p.pk: p for p in rows}
    ciphers = ciphers_for(list(persons))
    order = persons if by_term is not None else person_ids
    ordered = [persons[pid] for pid in order if pid in persons and str(pid) in ciphers]
    attach_ciphers(ordered, ciphers, "pk")
    decrypt_now(ordered)
    return ordered


def _sort_key(person: Person) -> tuple[str, str]:
    return (fold(person.last_name or ""), fold(person.first_name or ""))


_CANDIDATE_CHUNK = 200


def person_search(
    *, actor: Actor, query: str, limit: int = 20, offset: int = 0, purpose: str = ""
) -> SearchPage:
    """Search persons; the audit event records who searched and whom it showed, not the terms.

    Candidates come from the blind index and are re-checked after decryption, so a false
    positive of the truncated index never reaches the caller.
    """
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(0, offset)
    matcher = _matcher(query)
    matched: list[Person] = []
    total, estimate = 0, False
    if matcher.exact is not None:
        matched = [person for person in persons_load([], by_term=matcher.exact) if matcher.accept(person)]
        total = len(matched)
    elif matcher.candidates is not None:
        candidate_ids = matcher.candidates.values_list("person_id", flat=True)
        wanted = offset + limit
        # Most candidates of a typical query are matches: start with a chunk a little larger
        # than the page and grow it only when the re-check throws many away.
        chunk_size = min(_CANDIDATE_CHUNK, wanted + wanted // 2 + 4)
        loaded: set = set()
        seen = 0
        exhausted = False
        while len(matched) < wanted:
            chunk = list(candidate_ids[seen : seen + chunk_size])
            seen += len(chunk)
            fresh = [pid for pid in dict.fromkeys(chunk) if pid not in loaded]
            loaded.update(fresh)
            matched.extend(person for person in persons_load(fresh) if matcher.accept(person))
            if len(chunk) < chunk_size:
                exhausted = True
                break
            chunk_size = min(_CANDIDATE_CHUNK, chunk_size * 2)
        if exhausted:
            total = len(matched)
        else:
            # Candidates not yet re-checked count as matches: the index's false-positive
            # rate is small, and the flag says the figure is an estimate.
            total = len(matched) + candidate_ids.count() - seen
            estimate = True
    results = sorted(matched[offset : offset + limit], key=_sort_key)
    audit_record(
        actor=actor,
        action="search",
        object_type="person",
        object_ids=[p.pk for p in results],
        person_ids=[p.pk for p in results],
        purpose=purpose,
        detail={"results": len(results), "total": total},
    )
    return SearchPage(results=results, total=total, limit=limit, offset=offset, total_is_estimate=estimate)


def person_list(
    *, actor: Actor, limit: int = 50, offset: int = 0, organization_id: int | None = None, purpose: str = ""
) -> SearchPage:
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(0, offset)
    queryset = Person.objects.select_related("organization")
    if organization_id is not None:
        queryset = queryset.filter(organization_id=organization_id)
    total = queryset.count()
    ids = list(queryset.order_by("-created_at", "id").values_list("pk", flat=True)[offset : offset + limit])
    results = persons_load(ids)
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


def _sample_terms(count: int) -> list[int]:
    # Within a small integer's range: Django compiles an out-of-range kind to "no rows".
    return [32_700 + number for number in range(1, count + 1)]


_PK = Person._meta.pk
# Every card view and every search runs these; compiled once, see rekisteri.lib.compiled_query.
_CARD_PERSON = CompiledQuery(
    lambda ids: Person.objects.select_related("organization", "organization__owner_company").filter(
        pk=ids[0]
    ),
    field=_PK,
    samples=sample_ids,
)
_CARD_LISTS = {
    "categories": CompiledQuery(
        lambda ids: PersonCategory.objects.filter(person_id=ids[0]), field=_PK, samples=sample_ids
    ),
    # The purpose joined in, not fetched by one more query.
    "bases": CompiledQuery(
        lambda ids: ProcessingBasis.objects.select_related("purpose").filter(person_id=ids[0]),
        field=_PK,
        samples=sample_ids,
    ),
    "sources": CompiledQuery(
        lambda ids: DataSource.objects.filter(person_id=ids[0]), field=_PK, samples=sample_ids
    ),
}
_PERSONS_BY_ID = CompiledQuery(
    lambda ids: Person.objects.select_related("organization").filter(pk__in=ids),
    field=_PK,
    samples=sample_ids,
)
_PERSONS_BY_TERM = CompiledQuery(
    lambda values: Person.objects.select_related("organization").filter(
        pk__in=SearchTerm.objects.filter(kind=values[0], term=values[1]).values("person_id")
    ),
    field=SearchTerm._meta.get_field("term"),
    samples=_sample_terms,
)


def _prefetched(instance, name: str, objects: list) -> None:
    """Make `instance.<name>.all()` return `objects` without a query, as prefetch_related does."""
    manager = getattr(instance, name)
    queryset = manager.get_queryset()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[manager.field.remote_field.cache_name] = queryset


def person_get(*, actor: Actor, person_id: UUID | str, purpose: str = "") -> Person | None:
    """One person with everything the card shows, or None. Audited as a view."""
    found = _CARD_PERSON.run([person_id])
    person = found[0] if found else None
    if person is not None:
        for name, query in _CARD_LISTS.items():
            _prefetched(person, name, query.run([person.pk]))
    if person is not None:
        cipher = ciphers_for([person.pk]).get(str(person.pk))
        if cipher is None:
            raise KeyDestroyed(person.pk)
        ciphers = {str(person.pk): cipher}
        children = [*person.bases.all(), *person.sources.all()]
        attach_ciphers([person], ciphers, "pk")
        attach_ciphers(children, ciphers, "person_id")
        # Decrypt here, inside the selector: a tampered or keyless value then fails as
        # itself, not wrapped in whatever error a serializer or template would make of it.
        decrypt_now([person, *children])
        audit_record(
            actor=actor,
            action="view",
            object_type="person",
            object_ids=[person.pk],
            person_ids=[person.pk],
            purpose=purpose,
        )
    return person
