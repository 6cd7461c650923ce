"""The request and answer schemas of /api/v1/persons (rekisteri.people.api)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from ninja import Header, Path, Schema
from pydantic import Field

from rekisteri.accounts.idempotency import (
    MAX_KEY_LENGTH,
)
from rekisteri.api.errors import ErrorOut
from rekisteri.api.pagination import PageOut
from rekisteri.api.schemas import MAX_DB_INT, BodyId, InputSchema, Line, Paragraphs, PatchSchema
from rekisteri.people.export import FORMATS
from rekisteri.people.filters import FILTER_NAMES, BasisState, person_filters_clean
from rekisteri.people.models import PersonCategory
from rekisteri.people.restriction import READ_REASON_MAX
from rekisteri.people.selectors import (
    DEFAULT_SORT,
    LIST_COUNT_BOUND,
    SORT_LIMIT,
    SORTS,
    TRACKING_SHOWN,
    PersonView,
)
from rekisteri.privacy.models import LegalBasis, SourceKind

Name = Line(100)
OverrideReason = Line(2000)
ReadReason = Line(READ_REASON_MAX)
Email = Line(254)
Phone = Line(40)
Title = Line(200)
SelfGivenInfo = Paragraphs(5000)
SearchText = Line(200)
Category = Literal[tuple(PersonCategory.Category.values)]
Categories = Annotated[list[Category], Field(max_length=len(PersonCategory.Category.values))]
PersonId = Annotated[UUID, Path(description="The person's id (a UUID).")]
AllowDuplicate = Annotated[
    bool,
    Field(
        description="Save although another person has the same e-mail address or phone number "
        "(otherwise 409 with their ids)."
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        None,
        alias="Idempotency-Key",
        max_length=MAX_KEY_LENGTH,
        description="Optional. A repeat of the request with the same key within 24 hours creates "
        "nothing and answers with the person the first request created.",
    ),
]


class DuplicateOut(ErrorOut):
    existing_ids: list[UUID] = Field(description="The persons who already have this e-mail or phone.")


class GoneOut(ErrorOut):
    survivor_id: UUID | None = Field(
        None, description="With code 'merged': the person this one was merged into. Use that id from now on."
    )


class PersonIn(InputSchema):
    """A new person. Phone numbers in Finnish national format (040 123 4567) are accepted."""

    first_name: Name
    last_name: Name
    email: Email = ""
    phone: Phone = ""
    organization_id: BodyId | None = None
    title: Title = ""
    self_given_info: SelfGivenInfo = ""
    categories: Categories = []
    allow_duplicate: AllowDuplicate = False


class PersonPatch(PatchSchema):
    """Only the fields sent are changed; null clears an optional field."""

    nullable: ClassVar[frozenset[str]] = frozenset(
        {"email", "phone", "organization_id", "title", "self_given_info", "categories", "birth_date"}
    )

    first_name: Name | None = None
    last_name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    organization_id: BodyId | None = None
    title: Title | None = None
    self_given_info: SelfGivenInfo | None = None
    categories: Categories | None = None
    allow_duplicate: AllowDuplicate | None = None
    birth_date: date | None = Field(
        None,
        description="Section 4: accepted only when another person in the register has the same name or "
        "the license body of a course the person attends requires it (otherwise 400, code "
        "rule_violation); the reason is stored with it. null clears it.",
    )


WITHHELD = "Null when your role may not see it (it is then listed in `withheld`)."


class PersonOut(Schema):
    """A person as your role may see them (notice section 11): the value of a field your role
    may not see is never sent; the field is null and named in `withheld`."""

    id: UUID
    first_name: str
    last_name: str
    email: str | None = Field(description=f"Empty when unknown. {WITHHELD}")
    phone: str | None = Field(description=f"E.164, for example +358401234567; empty when unknown. {WITHHELD}")
    organization_id: int | None = Field(description=f"Null also when the person has none. {WITHHELD}")
    title: str | None = Field(description=f"Empty when unknown. {WITHHELD}")
    self_given_info: str | None = Field(description=f"Empty when none. {WITHHELD}")
    categories: list[str] | None = Field(description=WITHHELD)
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime | None
    restricted: bool = Field(
        description=(
            "Processing is restricted (Art. 18): only the privacy officer finds the person, and "
            "nobody may process the data until the restriction is lifted."
        )
    )
    withheld: list[str] = Field(description="The fields your role may not see; each of them is null here.")

    @staticmethod
    def resolve_restricted(obj) -> bool:
        return obj.restricted_at is not None

    @staticmethod
    def resolve_categories(obj: PersonView) -> list[str] | None:
        if obj.categories is None:
            return None
        return sorted(category.category for category in obj.categories)


class BasisOut(Schema):
    purpose: str
    basis: str
    interest_ground: str
    justification: str
    valid_from: date
    valid_until: date | None


class SourceOut(Schema):
    kind: str
    detail: str
    obtained_on: date
    # Suomen Asiakastieto checks only: the date of the report.
    report_date: date | None = None


class TrackingOut(Schema):
    kind: str
    occurred_at: datetime
    reference: str


class PersonDetailOut(PersonOut):
    bases: list[BasisOut] | None = Field(description=f"Legal bases per purpose. {WITHHELD}")
    sources: list[SourceOut] | None = Field(description=f"Where the data came from. {WITHHELD}")
    tracking: list[TrackingOut] | None = Field(
        description=f"The newest {TRACKING_SHOWN} tracking events, newest first. {WITHHELD}"
    )

    @staticmethod
    def resolve_bases(obj: PersonView) -> list[dict[str, Any]] | None:
        if obj.bases is None:
            return None
        return [
            {
                "purpose": basis.purpose.slug,
                "basis": basis.basis,
                "interest_ground": basis.interest_ground,
                "justification": basis.justification,
                "valid_from": basis.valid_from,
                "valid_until": basis.valid_until,
            }
            for basis in obj.bases
        ]


class PersonPageOut(PageOut):
    items: list[PersonOut]
    total_capped: bool = Field(
        False, description=f"True when more than {LIST_COUNT_BOUND:,} persons match: `total` stops there."
    )


QueryId = Annotated[int | None, Field(None, ge=1, le=MAX_DB_INT)]


class PersonQuery(Schema):
    """What selects and orders a list of persons (the same for the list and its export)."""

    q: SearchText = Field(
        "",
        description=(
            "Name prefixes (two or more letters per word), an e-mail address, an e-mail domain "
            "(@firma.fi) or the beginning of a phone number (040 772, +35845)."
        ),
    )
    organization_id: QueryId = None
    category: Category | None = None
    purpose: Line(64) = Field("", description="A purpose's slug (section 2).")
    basis: Literal[tuple(LegalBasis.values)] | None = None
    basis_state: Literal[tuple(BasisState.values)] | None = Field(
        None, description='With purpose or basis ("missing" also alone): the state of that basis today.'
    )
    source_kind: Literal[tuple(SourceKind.values)] | None = None
    owner_company_id: QueryId = Field(None, description="The group company that owns the organization.")
    responsible_id: QueryId = Field(None, description="A staff member responsible for the organization.")
    sort: Literal[SORTS] | None = Field(
        None,
        description=(
            f"Default {DEFAULT_SORT} (newest first); with q, the index's order. A leading - reverses. "
            f"Sorting by name, or sorting a search, needs at most {SORT_LIMIT} matching persons (else 422)."
        ),
    )

    def filters(self):
        """The checked filters (422 naming each unknown id or purpose)."""
        raw = self.model_dump(include=set(FILTER_NAMES))
        return person_filters_clean({name: value for name, value in raw.items() if value not in (None, "")})


class PersonExportIn(PersonQuery, InputSchema):
    format: Literal[FORMATS]
    disclosure_purpose: Line(64) = Field(
        min_length=1, description="The purpose (a slug of section 2) for which the recipient gets the data."
    )
    recipient_company_id: BodyId | None = Field(None, description="A group company (section 6).")
    recipient_name: Line(200) = Field("", description="Or a processor named in the notice.")
