"""What the register's data lacks or where records went: persons without a basis in force or
a source (sections 3 and 5), records merged into another, and the marketing audience."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.db.models import Exists, OuterRef, Q, QuerySet

from rekisteri.people.models import Person, PersonRedirect
from rekisteri.people.selectors.common import COUNT_BOUND
from rekisteri.people.visibility import MARKETING_PURPOSE, bases_in_force, marketing_audience
from rekisteri.privacy.bases import in_force_q
from rekisteri.privacy.models import DataSource, LegalBasis, ProcessingBasis


def merged_into(person_id: UUID | str) -> PersonRedirect | None:
    """Where the id of a person merged into another now leads, or None."""
    return PersonRedirect.objects.filter(merged_id=person_id).first()


def merged_ids_of(person_id: UUID | str) -> list[UUID]:
    """The ids of the records merged into this person (earlier merges' ids included)."""
    return list(PersonRedirect.objects.filter(survivor_id=person_id).values_list("merged_id", flat=True))


@dataclass(frozen=True)
class BasisFlags:
    """What a person's record lacks: a legal basis in force, or any source of the data."""

    missing_basis: bool
    missing_source: bool

    @property
    def any(self) -> bool:
        return self.missing_basis or self.missing_source


def with_basis_flags(
    queryset: QuerySet[Person] | None = None, *, today: date | None = None
) -> QuerySet[Person]:
    """Persons annotated with `has_basis_in_force` and `has_source` (EXISTS subqueries on the
    person indexes of both tables, so a page of persons costs one query, not one per row)."""
    queryset = Person.objects.all() if queryset is None else queryset
    return queryset.annotate(
        has_basis_in_force=Exists(ProcessingBasis.objects.filter(in_force_q(today), person=OuterRef("pk"))),
        has_source=Exists(DataSource.objects.filter(person=OuterRef("pk"))),
    )


def persons_missing_basis_or_source(
    queryset: QuerySet[Person] | None = None, *, today: date | None = None
) -> QuerySet[Person]:
    """Persons without a legal basis in force or without any recorded source."""
    return with_basis_flags(queryset, today=today).filter(Q(has_basis_in_force=False) | Q(has_source=False))


def basis_flags(person_ids: list, *, today: date | None = None) -> dict[UUID, BasisFlags]:
    """The flags of a page of persons, in one query. Ids and booleans only: no audit needed."""
    if not person_ids:
        return {}
    rows = with_basis_flags(Person.objects.filter(pk__in=list(person_ids)), today=today).values_list(
        "pk", "has_basis_in_force", "has_source"
    )
    return {pk: BasisFlags(missing_basis=not basis, missing_source=not source) for pk, basis, source in rows}


def attach_basis_flags(persons: list[Person], *, today: date | None = None) -> None:
    """Set `person.basis_flags` on each person of a page (one query), for templates."""
    flags = basis_flags([person.pk for person in persons], today=today)
    for person in persons:
        person.basis_flags = flags.get(person.pk)


def persons_without_basis(day: date | None = None) -> QuerySet[Person]:
    """Persons with no processing basis in force (none recorded, or all ended or withdrawn).

    Section 3: every person needs a legal basis for each purpose; one with none left is
    either missing a record or due for erasure (section 7).
    """
    return Person.objects.exclude(Exists(bases_in_force(day).filter(person_id=OuterRef("pk"))))


def persons_without_basis_count(*, bound: int = COUNT_BOUND) -> int:
    """How many persons have no basis in force, counted up to `bound` + 1 (meaning "more")."""
    return persons_without_basis()[: bound + 1].count()


def marketing_audience_counts(*, bound: int = COUNT_BOUND) -> dict[str, int]:
    """How many persons direct marketing may reach (visibility.marketing_audience), and of
    them how many by consent (opt-in) and by legitimate interest (opt-out toward a work
    role, section 3); each counted up to `bound` + 1."""
    audience = marketing_audience(None, Person.objects.all())
    marketing = bases_in_force().filter(purpose__slug=MARKETING_PURPOSE)

    def by(basis: str) -> int:
        return audience.filter(pk__in=marketing.filter(basis=basis).values("person_id"))[: bound + 1].count()

    return {
        "total": audience[: bound + 1].count(),
        "consent": by(LegalBasis.CONSENT),
        "legitimate_interest": by(LegalBasis.LEGITIMATE_INTEREST),
    }
