"""Restriction of processing (Art. 18) and the direct-marketing objection (Art. 21(3)).

While a person is restricted their data is only stored: every service that processes it
(person_update, interaction_create, tracking_event_record; basis_set and source_add through
the registry's subject checks) calls `restriction_check` and raises `ProcessingRestricted`,
the UI shows a banner and the form error, the API answers 409 with code "restricted", and
exports and marketing select persons through `persons_processable` / `persons_marketable`.
Reading the person (the card, their own access package) stays possible for the privacy
officer: that is storage and the person's own right. Every other role reads a restricted
person only by stating a legal reason (`read_reason_clean`), which the audit event of that
read keeps.

Art. 18(2) allows processing of restricted data with the person's consent; the one such
path is the person's own rectification request (`processing_exempt`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.db.models.lookups import IsNull
from django.utils.translation import gettext_lazy as _

from rekisteri.errors import ServiceError, too_long
from rekisteri.people.models import Person

RESTRICTION_FIELDS = (
    "restricted_at",
    "restriction_reason",
    "restriction_lifted_at",
    "restriction_lift_reason",
    "marketing_objection_at",
)

# Grounds on which Art. 18(2) lets a restricted person's data be processed.
EXEMPT_GROUNDS = {"data_subject_request"}

_exempt: ContextVar[str | None] = ContextVar("rekisteri_restriction_exempt", default=None)
# Set only while the card's read asks whether a stated reason opens a restricted person.
_with_reason: ContextVar[bool] = ContextVar("rekisteri_restricted_read", default=False)
READ_REASON_MIN, READ_REASON_MAX = 10, 500


class ProcessingRestricted(ServiceError):
    """The person's processing is restricted (Art. 18); only storage is allowed."""

    def __init__(self):
        super().__init__(
            _(
                "Processing of this person's data is restricted (GDPR Art. 18): it is only stored "
                "until the privacy officer lifts the restriction."
            ),
            code="person.restricted",
        )


class MarketingObjected(ValidationError):
    """The person objected to direct marketing (Art. 21(3)): never again for that purpose."""

    def __init__(self):
        message = _(
            "The person has objected to direct marketing (GDPR Art. 21(3)): "
            "their data can no longer be processed for it."
        )
        super().__init__({"purpose": ServiceError(message, code="person.marketing_objected")})


@contextmanager
def processing_exempt(ground: str) -> Iterator[None]:
    """Allow processing of a restricted person inside the block, on an Art. 18(2) ground."""
    if ground not in EXEMPT_GROUNDS:
        raise ValueError(f"not an Art. 18(2) ground: {ground!r}")
    token = _exempt.set(ground)
    try:
        yield
    finally:
        _exempt.reset(token)


@contextmanager
def restricted_included() -> Iterator[None]:
    """Inside the block persons_processable keeps restricted persons: the scope a role would
    have but for Art. 18, asked by the read with a stated reason (people.selectors.card)."""
    token = _with_reason.set(True)
    try:
        yield
    finally:
        _with_reason.reset(token)


def read_reason_clean(reason: str | None) -> str:
    """The legal reason for reading a restricted person's data (Art. 18(2): legal claims, the
    rights of another person, an important public interest), stripped; ValidationError if
    it is too short to say anything or too long."""
    reason = (reason or "").strip()
    if len(reason) < READ_REASON_MIN:
        message = _("State the legal reason for the read (at least %(minimum)s characters).")
        raise ServiceError(
            message, code="person.read_reason_short", params={"minimum": READ_REASON_MIN}, field="reason"
        )
    if len(reason) > READ_REASON_MAX:
        raise ValidationError({"reason": too_long(READ_REASON_MAX)})
    return reason


def _refresh(person: Person, *, lock: bool) -> None:
    # Fresh values, so a stale instance neither misses a restriction nor, when the caller
    # saves the whole row, silently undoes one.
    queryset = Person.objects.select_for_update() if lock else Person.objects.all()
    person.refresh_from_db(from_queryset=queryset, fields=list(RESTRICTION_FIELDS))


def restriction_check(person: Person, *, lock: bool = False) -> None:
    """Raise ProcessingRestricted when the person is restricted (unless exempt).

    `lock` takes the person's row lock (inside the caller's transaction) so a restriction
    cannot slip in between the check and the write.
    """
    if person.pk is None:
        return
    _refresh(person, lock=lock)
    if person.restricted_at is not None and _exempt.get() is None:
        raise ProcessingRestricted()


def marketing_check(person: Person) -> None:
    """Raise MarketingObjected when the person objected to direct marketing."""
    if person.pk is None:
        return
    _refresh(person, lock=False)
    if person.marketing_objection_at is not None:
        raise MarketingObjected()


def persons_processable(queryset: QuerySet[Person] | None = None) -> QuerySet[Person]:
    """Persons whose data may be processed beyond storage: restricted persons left out.

    Every export and every marketing selection starts from this.
    """
    queryset = Person.objects.all() if queryset is None else queryset
    if _with_reason.get():
        return queryset
    return queryset.filter(restricted_at__isnull=True)


def persons_restricted() -> QuerySet[Person]:
    """The restricted persons (a partial index holds them: they are few)."""
    return Person.objects.filter(restricted_at__isnull=False)


def leaves_out_only_restricted(persons: QuerySet[Person]) -> bool:
    """Whether `persons` is every person but the restricted ones (persons_processable of all):
    a search then tests its candidates against persons_restricted, a lookup in a small index."""
    where = persons.query.where
    if where.negated or len(where.children) != 1 or persons.query.is_sliced or persons.query.combinator:
        return False
    condition = where.children[0]
    return (
        isinstance(condition, IsNull)
        and condition.rhs is True
        and getattr(condition.lhs, "target", None) is Person._meta.get_field("restricted_at")
    )


def persons_marketable(queryset: QuerySet[Person] | None = None) -> QuerySet[Person]:
    """Persons who may receive direct marketing at all: not restricted, never objected.

    A marketing feature still needs a valid direct_marketing basis on top of this.
    """
    return persons_processable(queryset).filter(marketing_objection_at__isnull=True)
