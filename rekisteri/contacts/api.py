"""/api/v1/persons/{id}/interactions: a person's contact history (section 4)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema, Status
from pydantic import AfterValidator, BeforeValidator, Field

from rekisteri.accounts.api_auth import api_actor, api_user, staff_with
from rekisteri.api.errors import error_responses
from rekisteri.api.pagination import DEFAULT_LIMIT, Limit, Offset, PageOut
from rekisteri.api.schemas import InputSchema, Paragraphs
from rekisteri.contacts.models import Interaction
from rekisteri.contacts.selectors import interaction_page
from rekisteri.contacts.services import MAX_TEXT, interaction_create
from rekisteri.people.api import person_missing, read_reason_or_400
from rekisteri.people.api_schemas import GoneOut, ReadReason
from rekisteri.people.models import Person
from rekisteri.people.restriction import READ_REASON_MAX, READ_REASON_MIN
from rekisteri.people.selectors import restricted_read_possible, visible_persons

router = Router(tags=["interactions"])

EARLIEST_YEAR = 1900


def _plausible_time(value: datetime) -> datetime:
    # Far-off years overflow when converted to UTC for storage; no interaction is that old.
    try:
        year = value.astimezone(UTC).year if value.tzinfo is not None else value.year
    except OverflowError:
        year = 0
    if not EARLIEST_YEAR <= year <= 9000:
        raise ValueError(f"Give a time between {EARLIEST_YEAR} and now.")
    return value


def _iso_string(value: object) -> object:
    # Pydantic would read numbers as Unix seconds or milliseconds; that guess is not worth making.
    if not isinstance(value, str):
        raise ValueError("Give the time as an ISO 8601 string, such as 2025-03-01T10:00:00+02:00.")
    return value


Kind = Literal[tuple(Interaction.Kind.values)]
OccurredAt = Annotated[datetime, BeforeValidator(_iso_string), AfterValidator(_plausible_time)]
Text = Paragraphs(MAX_TEXT)
PersonId = Annotated[UUID, Path(description="The person's id (a UUID).")]


class InteractionIn(InputSchema):
    kind: Kind
    text: Text
    occurred_at: OccurredAt | None = None


class InteractionOut(Schema):
    id: UUID
    person_id: UUID
    kind: str
    occurred_at: datetime
    author_id: int | None
    text: str | None = Field(
        description="Null when your role sees the kinds and dates of contacts but not what was said."
    )
    created_at: datetime


class InteractionCreatedOut(InteractionOut):
    source_information: Literal["sent", "owed"] | None = Field(
        None,
        description=(
            "GDPR Art. 14(3)(b): a call, meeting, e-mail or event is a communication with the person, "
            'at which at the latest they must be told where their data came from. "sent": the '
            'person was still owed that information and it was mailed to them now; "owed": it is '
            "owed but the person has no e-mail address: tell them orally or by post; the privacy "
            "officer records it (it is due today on their list); null: nothing was owed."
        ),
    )


class InteractionPageOut(PageOut):
    items: list[InteractionOut]


def _person(request: HttpRequest, person_id: UUID) -> Person:
    """The person, if the caller's role may see them (visible_persons); 404 otherwise."""
    person = visible_persons(api_user(request)).filter(pk=person_id).first()
    if person is None:
        raise person_missing(person_id)
    return person


def _page_out(page, limit: int, offset: int) -> dict:
    items = [
        {
            "id": i.pk,
            "person_id": i.person_id,
            "kind": i.kind,
            "occurred_at": i.occurred_at,
            "author_id": i.author_id,
            "text": i.text if page.texts else None,
            "created_at": i.created_at,
        }
        for i in page.interactions
    ]
    return {"items": items, "total": page.total, "limit": limit, "offset": offset}


@router.get(
    "/{person_id}/interactions",
    response={200: InteractionPageOut, 410: GoneOut, **error_responses(400, 401, 403, 404, 422)},
    auth=staff_with("contacts.view_interaction", "people.view_person"),
)
def list_interactions(
    request: HttpRequest,
    person_id: PersonId,
    reason: Annotated[
        ReadReason,
        Query(
            "",
            description=(
                "Art. 18: as for GET /persons/{person_id}, a restricted person's history is 404 "
                "for every role but the privacy officer's unless this request states a legal "
                f"reason ({READ_REASON_MIN}-{READ_REASON_MAX} characters), kept in the read's "
                "audit event. Too short: 400 rule_violation."
            ),
        ),
    ] = "",
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
):
    actor = api_actor(request)
    person = visible_persons(api_user(request)).filter(pk=person_id).first()
    read_reason = ""
    if person is None and reason:
        read_reason = read_reason_or_400(reason)
        if restricted_read_possible(actor=actor, person_id=person_id):
            person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise person_missing(person_id)
    page = interaction_page(
        actor=actor, person_id=person.pk, limit=limit, offset=offset, read_reason=read_reason
    )
    return _page_out(page, limit, offset)


@router.post(
    "/{person_id}/interactions",
    response={201: InteractionCreatedOut, 410: GoneOut, **error_responses(401, 403, 404, 422)},
    auth=staff_with("contacts.add_interaction"),
)
def create_interaction(request: HttpRequest, person_id: PersonId, payload: InteractionIn):
    interaction = interaction_create(
        actor=api_actor(request),
        person=_person(request, person_id),
        kind=payload.kind,
        text=payload.text,
        occurred_at=payload.occurred_at,
    )
    return Status(201, interaction)
