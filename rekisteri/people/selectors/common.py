"""What every read of persons shares: who may be found (visible_persons), loading persons
decrypted, the pages they come in, and the audit event each read writes."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.db.compiled_query import CompiledQuery, padded_to_power_of_two, sample_ids
from rekisteri.encryption.fields import attach_ciphers, decrypt_now
from rekisteri.encryption.models import SearchTerm
from rekisteri.errors import ServiceError
from rekisteri.keystore.services import ciphers_for
from rekisteri.people.models import Person, PersonCategory
from rekisteri.people.visibility import ViewRule, actor_rule, view_rule
from rekisteri.privacy.models import DataSource, ProcessingBasis

MAX_PAGE_SIZE = 200
# Counts on dashboards stop here: an exact count(*) of a million rows is not worth its cost.
COUNT_BOUND = 10_000
# The most persons a list sorted after decryption (by name, or a search sorted by anything)
# may hold: every one of them is decrypted for one page. Measured in benchmarks/README.md.
SORT_LIMIT = 2_000
# Totals of lists stop here ("more than 1,000"): counting a broad filter costs a lookup per
# person counted (measured in benchmarks/README.md), and nobody pages through 40 pages.
LIST_COUNT_BOUND = 1_000


def visible_persons(user_or_actor) -> QuerySet[Person]:
    """The persons a user (or an actor) may see, by their role's scope
    (people.visibility.VIEW_RULES). Every list, search, export and card read starts here.
    A user without a role sees no one.
    """
    if isinstance(user_or_actor, Actor):
        rule, user = actor_rule(user_or_actor), user_or_actor.user
    else:
        rule, user = view_rule(user_or_actor), user_or_actor
    return rule.persons(user, Person.objects.all())


def _scope(actor: Actor) -> tuple[ViewRule, QuerySet[Person] | None]:
    """The actor's rule and, when it does not see everyone, the persons it may see."""
    rule = actor_rule(actor)
    if rule.sees_everyone:
        return rule, None
    return rule, rule.persons(actor.user, Person.objects.all())


def restricts(persons: QuerySet) -> bool:
    """Whether a queryset leaves any person out: searches then filter their candidates by
    it, otherwise they take the index's candidates as they are (compiled, prepared queries)."""
    return bool(persons.query.where)


class ListTooBroad(ValidationError):
    """A list that must be read whole (sorted after decryption, exported) is too long."""

    def __init__(self, field: str, limit: int):
        self.limit = limit
        if field == "export":
            error = ServiceError(
                _("An export needs a list of at most %(limit)s persons: narrow it with filters or a search."),
                code="list.too_broad_to_export",
                params={"limit": limit},
            )
        else:
            error = ServiceError(
                _(
                    "Sorting this way needs a list of at most %(limit)s persons: narrow it with filters "
                    "or a search."
                ),
                code="list.too_broad_to_sort",
                params={"limit": limit},
            )
        super().__init__({field: error})


@dataclass
class SearchPage:
    results: list[Person]
    total: int
    limit: int
    offset: int
    # True when `total` counts blind-index candidates not all of which were re-checked.
    total_is_estimate: bool = False
    # True when there are more than COUNT_BOUND persons (`total` is then COUNT_BOUND).
    total_capped: bool = False
    # The order of the results: one of SORTS, or "" for a search in the index's order
    # (each page sorted by name).
    sort: str = ""


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


def audit_read(actor: Actor, action: str, page: SearchPage, purpose: str, detail: dict) -> None:
    """The audit event of a list or search: the ids shown, the purpose (the role's, unless
    the caller names one) and non-personal facts (counts, filter names, the sort)."""
    audit_record(
        actor=actor,
        action=action,
        object_type="person",
        object_ids=[p.pk for p in page.results],
        person_ids=[p.pk for p in page.results],
        purpose=purpose or actor_rule(actor).purpose,
        detail={"results": len(page.results), "total": page.total, **detail},
    )


def _sample_terms(count: int) -> list[int]:
    # Within a small integer's range: Django compiles an out-of-range kind to "no rows".
    return [32_700 + number for number in range(1, count + 1)]


_PK = Person._meta.pk


# Every card view and every search runs these; compiled once, see rekisteri.db.compiled_query.
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
