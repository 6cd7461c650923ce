"""/api/v1/persons/{id}/interactions: a person's contact history (section 4)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Path, Router, Schema, Status
from pydantic import AfterValidator, BeforeValidator

from rekisteri.api.auth import api_actor, staff_with
from rekisteri.api.errors import ApiError, error_responses
from rekisteri.api.pagination import DEFAULT_LIMIT, Limit, Offset, PageOut
from rekisteri.api.schemas import InputSchema, Paragraphs
from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.contacts.models import Interaction
from rekisteri.contacts.services import MAX_TEXT, interaction_create
from rekisteri.people.models import Person

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
    text: str
    created_at: datetime


class InteractionPageOut(PageOut):
    items: list[InteractionOut]


def _person(person_id: UUID) -> Person:
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise ApiError(404, "No such person.", code="not_found")
    return person


def _interaction_page(*, actor: Actor, person: Person, limit: int, offset: int) -> dict:
    """A page of a person's interactions, newest first; audited as a read of that person."""
    queryset = Interaction.objects.filter(person=person).order_by("-occurred_at", "-id")
    total = queryset.count()
    results = list(queryset[offset : offset + limit])
    audit_record(
        actor=actor,
        action="list",
        object_type="interaction",
        object_ids=[i.pk for i in results],
        person_ids=[person.pk],
        purpose=actor.purpose,
        detail={"results": len(results), "total": total},
    )
    return {"items": results, "total": total, "limit": limit, "offset": offset}


@router.get(
    "/{person_id}/interactions",
    response={200: InteractionPageOut, **error_responses(401, 403, 404, 422)},
    auth=staff_with("contacts.view_interaction", "people.view_person"),
)
def list_interactions(
    request: HttpRequest, person_id: PersonId, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
):
    return _interaction_page(actor=api_actor(request), person=_person(person_id), limit=limit, offset=offset)


@router.post(
    "/{person_id}/interactions",
    response={201: InteractionOut, **error_responses(401, 403, 404, 422)},
    auth=staff_with("contacts.add_interaction"),
)
def create_interaction(request: HttpRequest, person_id: PersonId, payload: InteractionIn):
    interaction = interaction_create(
        actor=api_actor(request),
        person=_person(person_id),
        kind=payload.kind,
        text=payload.text,
        occurred_at=payload.occurred_at,
    )
    return Status(201, interaction)
