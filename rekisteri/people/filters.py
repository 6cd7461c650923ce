"""The filters of the person list, its search and its exports: one definition for the UI,
the API and the export.

Every filter is a plain value (an id or a code, never a personal value), checked by
`person_filters_clean` and applied in SQL by `persons_filtered`, each through an index
named in the model it reads (see the comments there).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet, TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.errors import ServiceError, choose_one
from rekisteri.organizations.models import Organization
from rekisteri.people.models import Person, PersonCategory
from rekisteri.privacy.models import (
    DataSource,
    GroupCompany,
    LegalBasis,
    ProcessingBasis,
    Purpose,
    SourceKind,
)

MAX_ID = 2**63 - 1


class BasisState(TextChoices):
    """The state of a recorded legal basis today (or that none is recorded)."""

    ACTIVE = "active", _("In force")
    UPCOMING = "upcoming", _("Starts later")
    ENDED = "ended", _("Ended")
    WITHDRAWN = "withdrawn", _("Consent withdrawn")
    MISSING = "missing", _("None recorded")


@dataclass(frozen=True)
class PersonFilters:
    """Checked filter values; empty ones filter nothing. Purposes are kept by slug and id."""

    organization_id: int | None = None
    category: str = ""
    purpose: str = ""
    basis: str = ""
    basis_state: str = ""
    source_kind: str = ""
    owner_company_id: int | None = None
    responsible_id: int | None = None
    purpose_id: int | None = None  # resolved from `purpose` by person_filters_clean

    def used(self) -> list[str]:
        """The names of the filters in use (for the audit trail: names, not values)."""
        return [
            f.name for f in fields(self) if f.name != "purpose_id" and getattr(self, f.name) not in (None, "")
        ]

    def __bool__(self) -> bool:
        return bool(self.used())


FILTER_NAMES = tuple(f.name for f in fields(PersonFilters) if f.name != "purpose_id")
_ID_FILTERS = ("organization_id", "owner_company_id", "responsible_id")
_CHOICES = {
    "category": frozenset(PersonCategory.Category.values),
    "basis": frozenset(LegalBasis.values),
    "basis_state": frozenset(BasisState.values),
    "source_kind": frozenset(SourceKind.values),
}


def _id_value(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueError
    number = int(str(value).strip()) if not isinstance(value, int) else value
    if not 1 <= number <= MAX_ID:
        raise ValueError
    return number


def person_filters_clean(data: Mapping[str, Any]) -> PersonFilters:
    """Filters from raw values (query parameters, form data); ValidationError names each bad one.

    Ids must name an existing organization, group company or staff member, and codes must be
    known: a filter that cannot match anything is a mistake to report, not an empty list.
    """
    errors: dict[str, ValidationError] = {}
    unknown = set(data) - set(FILTER_NAMES)
    for name in sorted(unknown):
        errors[name] = ServiceError(_("Unknown filter."), code="filter.unknown")
    values: dict[str, Any] = {}
    for name in _ID_FILTERS:
        try:
            values[name] = _id_value(data.get(name))
        except (TypeError, ValueError):
            errors[name] = ServiceError(_("Give a positive whole number."), code="field.positive_integer")
    for name, allowed in _CHOICES.items():
        value = str(data.get(name) or "").strip()
        if value and value not in allowed:
            errors[name] = choose_one(sorted(allowed))
        values[name] = value
    purpose = str(data.get("purpose") or "").strip()
    purpose_id = None
    if purpose:
        purpose_id = Purpose.objects.filter(slug=purpose).values_list("pk", flat=True).first()
        if purpose_id is None:
            errors["purpose"] = ServiceError(_("Unknown purpose."), code="purpose.unknown")
    if (
        values.get("organization_id")
        and not Organization.objects.filter(pk=values["organization_id"]).exists()
    ):
        errors["organization_id"] = ServiceError(_("No such organization."), code="organization.unknown")
    if (
        values.get("owner_company_id")
        and not GroupCompany.objects.filter(pk=values["owner_company_id"]).exists()
    ):
        errors["owner_company_id"] = ServiceError(_("No such group company."), code="group_company.unknown")
    if values.get("responsible_id") and not (
        get_user_model().objects.filter(pk=values["responsible_id"], staff_profile__isnull=False).exists()
    ):
        errors["responsible_id"] = ServiceError(_("No such staff member."), code="staff.unknown")
    # A state alone would read every recorded basis: the purpose's or the legal basis's index
    # must narrow it first ("none recorded" alone reads each person's bases by person).
    state = values.get("basis_state")
    if state and state != BasisState.MISSING and not (purpose or values.get("basis")):
        errors["basis_state"] = ServiceError(
            _("Choose the purpose or the legal basis whose state to filter by."),
            code="filter.basis_state_alone",
        )
    if errors:
        raise ValidationError(errors)
    return PersonFilters(purpose=purpose, purpose_id=purpose_id, **values)


def _basis_rows(filters: PersonFilters, today: date) -> QuerySet:
    rows = ProcessingBasis.objects.all()
    if filters.purpose_id is not None:
        rows = rows.filter(purpose_id=filters.purpose_id)
    if filters.basis:
        rows = rows.filter(basis=filters.basis)
    state = filters.basis_state
    if state == BasisState.WITHDRAWN:
        rows = rows.filter(withdrawn_at__isnull=False)
    elif state == BasisState.ACTIVE:
        rows = rows.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=today),
            withdrawn_at__isnull=True,
            valid_from__lte=today,
        )
    elif state == BasisState.UPCOMING:
        rows = rows.filter(withdrawn_at__isnull=True, valid_from__gt=today)
    elif state == BasisState.ENDED:
        rows = rows.filter(withdrawn_at__isnull=True, valid_until__lt=today)
    return rows


@dataclass(frozen=True)
class _Condition:
    """A filter on rows of another table: persons having (or, negated, lacking) such a row.

    It can be written two ways, and which is fast depends on how many persons it matches
    (SQLite's planner, without statistics, does not know): `IN (ids)` reads the matching
    rows first (fast when they are few), `EXISTS (row of this person)` checks the persons in
    the order the page wants them and stops when the page is full (fast when they are many).
    """

    rows: QuerySet
    column: str  # the column of `rows` that names the person or their organization
    person_field: str  # "pk", or "organization_id" for conditions on the organization
    negate: bool = False

    def as_in(self) -> Q:
        condition = Q(**{f"{self.person_field}__in": self.rows.values(self.column)})
        return ~condition if self.negate else condition

    def as_exists(self) -> Q:
        exists = Exists(self.rows.filter(**{self.column: OuterRef(self.person_field)}))
        return Q(~exists if self.negate else exists)

    def size(self, bound: int) -> int:
        """The persons it matches, counted up to `bound` + 1 (an upper bound; negated: unknown)."""
        if self.negate:
            return bound + 1
        if self.person_field == "organization_id":
            return Person.objects.filter(self.as_in())[: bound + 1].count()
        return self.rows[: bound + 1].count()


def _conditions(filters: PersonFilters, today: date) -> list[_Condition]:
    conditions = []
    if filters.owner_company_id is not None:
        rows = Organization.objects.filter(owner_company_id=filters.owner_company_id)
        conditions.append(_Condition(rows, "pk", "organization_id"))
    if filters.responsible_id is not None:
        rows = Organization.responsible_staff.through.objects.filter(user_id=filters.responsible_id)
        conditions.append(_Condition(rows, "organization_id", "organization_id"))
    if filters.category:
        conditions.append(
            _Condition(PersonCategory.objects.filter(category=filters.category), "person_id", "pk")
        )
    if filters.source_kind:
        conditions.append(_Condition(DataSource.objects.filter(kind=filters.source_kind), "person_id", "pk"))
    if filters.purpose_id is not None or filters.basis or filters.basis_state:
        missing = filters.basis_state == BasisState.MISSING
        conditions.append(_Condition(_basis_rows(filters, today), "person_id", "pk", negate=missing))
    return conditions


def persons_filtered(
    persons: QuerySet[Person],
    filters: PersonFilters,
    *,
    today: date | None = None,
    page_bound: int | None = None,
) -> QuerySet:
    """`persons` (from visible_persons) narrowed by every filter in use; a person is listed
    once however many rows of theirs match.

    Without `page_bound` the filters read their matching rows first (`IN`): right for
    reading a whole list (a name sort, an export, a search's candidates). With it, for one
    page in an order the database keeps in an index: a filter that matches at most
    `page_bound` persons still leads (`IN`), the others are checked person by person
    (`EXISTS`) as the sort index is walked, which stops at the end of the page.
    """
    today = today or timezone.localdate()
    if filters.organization_id is not None:
        persons = persons.filter(organization_id=filters.organization_id)
    conditions = _conditions(filters, today)
    if page_bound is None:
        return persons.filter(*(condition.as_in() for condition in conditions))
    leader = None
    if filters.organization_id is None and conditions:
        # The organization's own index leads when it is given; otherwise the narrowest
        # filter, if narrow enough.
        size, index = min((condition.size(page_bound), index) for index, condition in enumerate(conditions))
        leader = index if size <= page_bound else None
    return persons.filter(
        *(
            condition.as_in() if index == leader else condition.as_exists()
            for index, condition in enumerate(conditions)
        )
    )
