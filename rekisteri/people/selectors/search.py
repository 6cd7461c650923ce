"""Finding persons: search by name words, e-mail, @domain or the beginning of a phone number,
through the blind index, every candidate re-checked after decryption; and the sorting the
lists share (names are ciphertext: the database cannot sort by them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet

from rekisteri.audit.actor import Actor
from rekisteri.encryption.models import SearchTerm
from rekisteri.encryption.search import (
    Candidates,
    candidates_by_email,
    candidates_by_email_domain,
    candidates_by_name,
    candidates_by_phone,
    email_entry,
)
from rekisteri.errors import choose_one
from rekisteri.lib.blind_index import fold, is_phone_query, name_matches, phone_query_digits
from rekisteri.lib.normalize import NormalizationError, email_lookup_key
from rekisteri.people.filters import PersonFilters, persons_filtered
from rekisteri.people.models import Person
from rekisteri.people.restriction import leaves_out_only_restricted, persons_restricted

# The tunables (SORT_LIMIT, LIST_COUNT_BOUND) and visible_persons are read from the module
# each time, so one rule (or a test) changes them for every read.
from rekisteri.people.selectors import common
from rekisteri.people.selectors.common import (
    MAX_PAGE_SIZE,
    ListTooBroad,
    SearchPage,
    audit_read,
    persons_load,
    restricts,
)

SORT_KEYS = ("name", "organization", "last_contact", "created")


SORTS = tuple(f"{sign}{key}" for key in SORT_KEYS for sign in ("", "-"))


DEFAULT_SORT = "-created"


@dataclass
class _Matcher:
    """Blind-index candidates for a query, and the exact test each candidate must pass."""

    candidates: Candidates | None
    accept: Callable[[Person], bool]
    # An exact e-mail value: its blind-index (kind, value), whose handful of candidates are
    # loaded in one query.
    exact: tuple[int, int] | None = None


def _matcher(query: str) -> _Matcher:
    """An e-mail address (exact, any case), an e-mail domain ("@firma.fi"), the beginning of
    a phone number in any common format ("040 772", "+35845") or name words.

    Each word of a name query must begin (2+ letters) or equal (one letter) a word of the
    first or last name, so "ann virt" finds Anna Virtanen. Matching folds case and keeps å,
    ä, ö.
    """
    query = " ".join(query.split())
    nothing = _Matcher(None, lambda person: False)
    if not query:
        return nothing
    if query.startswith("@") and query.count("@") == 1:
        try:
            domain = email_lookup_key("x" + query).rpartition("@")[2]
        except NormalizationError:
            return nothing
        return _Matcher(
            candidates_by_email_domain(domain),
            lambda person: person.email.casefold().rpartition("@")[2] == domain,
        )
    if "@" in query:
        try:
            key = email_lookup_key(query)
        except NormalizationError:
            return nothing
        return _Matcher(None, lambda person: person.email.casefold() == key, exact=email_entry(key))
    if is_phone_query(query):
        digits = phone_query_digits(query)
        if digits is None:
            return nothing
        prefix = "+" + digits
        return _Matcher(candidates_by_phone(digits), lambda person: person.phone.startswith(prefix))
    return _Matcher(
        candidates_by_name(query), lambda person: name_matches(query, person.first_name, person.last_name)
    )


# Finnish alphabetical order: å, ä, ö after z (code points would put ä before å). fold()
# has already made other accented letters plain.
_FINNISH_ORDER = str.maketrans({"å": "z\U0010fff0", "ä": "z\U0010fff1", "ö": "z\U0010fff2"})


def name_sort_key(last_name: str, first_name: str) -> tuple[str, str]:
    return (fold(last_name or "").translate(_FINNISH_ORDER), fold(first_name or "").translate(_FINNISH_ORDER))


def _sort_key(person: Person) -> tuple[str, str]:
    return name_sort_key(person.last_name, person.first_name)


def _timestamp(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else float("-inf")


def _sorted_persons(persons: list[Person], sort: str) -> list[Person]:
    """Decrypted persons in the order of `sort`, as the database orders the same list: ties
    by id; never-contacted persons at the old end; persons without an organization last."""
    key, descending = sort.lstrip("-"), sort.startswith("-")
    persons = sorted(persons, key=lambda p: str(p.pk))
    if key == "name":
        return sorted(persons, key=_sort_key, reverse=descending)
    if key == "last_contact":
        return sorted(persons, key=lambda p: _timestamp(p.last_activity_at), reverse=descending)
    if key == "created":
        return sorted(persons, key=lambda p: _timestamp(p.created_at), reverse=descending)
    with_org = [p for p in persons if p.organization_id is not None]
    without = [p for p in persons if p.organization_id is None]
    with_org.sort(key=lambda p: (p.organization.name.casefold(), p.organization_id), reverse=descending)
    return with_org + without


# How the database orders each sort; every first key is an index's (see Person.Meta).
_DB_ORDER = {
    "-created": (F("created_at").desc(), F("id").asc()),
    "created": (F("created_at").asc(), F("id").desc()),
    "-last_contact": (F("last_activity_at").desc(nulls_last=True), F("id").desc()),
    "last_contact": (F("last_activity_at").asc(nulls_first=True), F("id").asc()),
}


def _check_sort(sort: str) -> str:
    if sort not in SORTS:
        raise ValidationError({"sort": choose_one(SORTS)})
    return sort


def starting_persons(
    actor: Actor, filters: PersonFilters | None, *, page_bound: int | None = None
) -> QuerySet[Person]:
    """The persons a read by `actor` starts from (visible_persons), narrowed by `filters`."""
    persons = common.visible_persons(actor)
    return persons_filtered(persons, filters, page_bound=page_bound) if filters else persons


_CANDIDATE_CHUNK = 200


def person_search(
    *,
    actor: Actor,
    query: str,
    limit: int = 20,
    offset: int = 0,
    purpose: str = "",
    filters: PersonFilters | None = None,
    sort: str = "",
) -> SearchPage:
    """Search persons; the audit event records who searched and whom it showed, not the terms.

    Candidates come from the blind index and are re-checked after decryption, so a false
    positive of the truncated index never reaches the caller. Without `sort` the results
    come in the index's order, each page sorted by name; with one, every candidate is read
    and sorted (at most SORT_LIMIT of them, else ListTooBroad).
    """
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(0, offset)
    base = starting_persons(actor, filters)
    matcher = _matcher(query)
    detail = {"filters": filters.used()} if filters else {}
    if sort:
        matched = _sorted_persons(
            _matching(base, matcher, limit=common.SORT_LIMIT, field="sort"), _check_sort(sort)
        )
        page = SearchPage(matched[offset : offset + limit], len(matched), limit, offset, sort=sort)
        audit_read(actor, "search", page, purpose, {**detail, "sort": sort})
        return page
    matched: list[Person] = []
    total, estimate, capped = 0, False, False
    restricted = restricts(base)
    if matcher.exact is not None:
        if restricted and not leaves_out_only_restricted(base):
            found = persons_load(_exact_ids(base, matcher.exact))
        else:
            found = persons_load([], by_term=matcher.exact)  # one compiled query
            if restricted:  # the rows say who is restricted: no second query
                found = [person for person in found if person.restricted_at is None]
        matched = [person for person in found if matcher.accept(person)]
        total = len(matched)
    elif matcher.candidates is not None:
        candidates = _within(matcher.candidates, base) if restricted else matcher.candidates
        reader = candidates.reader()
        wanted = offset + limit
        # Nearly every candidate is a match (the index's false positives are rare): start with
        # a chunk of the page and a few more, and grow it only when the re-check throws many
        # away. Each candidate read may cost a walk past many entries (two sparse words).
        chunk_size = min(_CANDIDATE_CHUNK, wanted + max(2, wanted // 10))
        loaded: set = set()
        seen = 0
        while len(matched) < wanted and not reader.exhausted:
            chunk = reader.read(chunk_size)
            seen += len(chunk)
            fresh = [pid for pid in dict.fromkeys(chunk) if pid not in loaded]
            loaded.update(fresh)
            matched.extend(person for person in persons_load(fresh) if matcher.accept(person))
            chunk_size = min(_CANDIDATE_CHUNK, chunk_size * 2)
        if reader.exhausted:
            total = len(matched)
        else:
            # Candidates not yet re-checked count as matches: the index's false-positive
            # rate is small, and the flag says the figure is an estimate.
            total = max(len(matched), len(matched) + reader.count() - seen)
            # A query of several common words: the estimate covers the first entries of the
            # walked word only, and says "more than" (encryption.search.COUNT_CAP).
            estimate, capped = True, reader.capped
    results = sorted(matched[offset : offset + limit], key=_sort_key)
    page = SearchPage(
        results=results,
        total=total,
        limit=limit,
        offset=offset,
        total_is_estimate=estimate,
        total_capped=capped,
    )
    audit_read(actor, "search", page, purpose, detail)
    return page


def _within(candidates: Candidates, persons: QuerySet) -> Candidates:
    """The candidates among `persons`; when those are all but the restricted persons (every
    role's search but the privacy officer's), tested against the few restricted ones."""
    if leaves_out_only_restricted(persons):
        return candidates.excluding(persons_restricted())
    return candidates.restricted(persons)


def _exact_ids(persons: QuerySet, entry: tuple[int, int]) -> list:
    kind, term = entry
    return list(
        persons.filter(
            pk__in=SearchTerm.objects.filter(kind=kind, term=term).values("person_id")
        ).values_list("pk", flat=True)
    )


def _matching(persons: QuerySet, matcher: _Matcher | None, *, limit: int, field: str) -> list[Person]:
    """Every person of `persons` a search matches (all of `persons` without a matcher),
    decrypted; ListTooBroad when there are more than `limit` of them (or of the candidates)."""
    if matcher is None:
        ids = list(persons.values_list("pk", flat=True)[: limit + 1])
    elif matcher.exact is not None:
        ids = _exact_ids(persons, matcher.exact)
    elif matcher.candidates is None:
        ids = []
    else:
        # A person may be a candidate twice (two name forms in range): read up to twice the
        # limit, and refuse when even that does not reach the end.
        reader = _within(matcher.candidates, persons).reader()
        rows = reader.read(2 * limit + 1)
        if len(rows) > 2 * limit:
            raise ListTooBroad(field, limit)
        ids = list(dict.fromkeys(rows))
    if len(ids) > limit:
        raise ListTooBroad(field, limit)
    loaded = [person for chunk in _chunks(ids, 1000) for person in persons_load(chunk)]
    return loaded if matcher is None else [person for person in loaded if matcher.accept(person)]


def _chunks(values: list, size: int):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def person_ids_matching_email(email: str) -> list[UUID]:
    """Persons whose e-mail is this address (case-insensitive), through the blind index.

    Ids only, for services that match an address (a portal request, a subscription): they
    audit what they do with them; nothing personal is returned, so this read logs nothing.
    """
    try:
        key = email_lookup_key(email)
    except NormalizationError:
        return []
    candidates = Person.objects.filter(pk__in=candidates_by_email(key).person_ids())
    return [person.pk for person in candidates if person.email.casefold() == key]
