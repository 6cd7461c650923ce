"""/api/v1/persons: contact persons, students and prospects.

Every read goes through the audited selectors and every write through the services, with
origin "api" and the purpose of the caller's role.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from rekisteri.api.auth import api_actor, has_perm, staff_with
from rekisteri.api.errors import ApiError, error_responses, field_error
from rekisteri.api.pagination import DEFAULT_LIMIT, Limit, Offset, PageOut
from rekisteri.api.schemas import MAX_DB_INT, BodyId, InputSchema, Line, Paragraphs, PatchSchema
from rekisteri.people.models import Person, PersonCategory
from rekisteri.people.selectors import person_get, person_list, person_search
from rekisteri.people.services import person_create, person_delete, person_update

router = Router(tags=["persons"])

VIEW = "people.view_person"
ADD = "people.add_person"
CHANGE = "people.change_person"
DELETE = "people.delete_person"

Name = Line(100)
Email = Line(254)
Phone = Line(40)
Title = Line(200)
SelfGivenInfo = Paragraphs(5000)
SearchText = Line(200)
Category = Literal[tuple(PersonCategory.Category.values)]
Categories = Annotated[list[Category], Field(max_length=len(PersonCategory.Category.values))]
PersonId = Annotated[UUID, Path(description="The person's id (a UUID).")]


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


class PersonPatch(PatchSchema):
    """Only the fields sent are changed; null clears an optional field."""

    nullable: ClassVar[frozenset[str]] = frozenset(
        {"email", "phone", "organization_id", "title", "self_given_info", "categories"}
    )

    first_name: Name | None = None
    last_name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    organization_id: BodyId | None = None
    title: Title | None = None
    self_given_info: SelfGivenInfo | None = None
    categories: Categories | None = None


class PersonOut(Schema):
    id: UUID
    first_name: str
    last_name: str
    email: str
    phone: str = Field(description="E.164, for example +358401234567; empty when unknown.")
    organization_id: int | None
    title: str
    self_given_info: str
    categories: list[str]
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime | None

    @staticmethod
    def resolve_categories(obj: Person) -> list[str]:
        return sorted(category.category for category in obj.categories.all())


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


class PersonDetailOut(PersonOut):
    bases: list[BasisOut] | None = Field(description="Null when your role may not see legal bases.")
    sources: list[SourceOut] | None = Field(description="Null when your role may not see data sources.")

    @staticmethod
    def resolve_bases(obj: Person, context) -> list[dict[str, Any]] | None:
        if not has_perm(context["request"], "privacy.view_processingbasis"):
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
            for basis in obj.bases.all()
        ]

    @staticmethod
    def resolve_sources(obj: Person, context) -> list[SourceOut] | None:
        if not has_perm(context["request"], "privacy.view_datasource"):
            return None
        return list(obj.sources.all())


class PersonPageOut(PageOut):
    items: list[PersonOut]


def _service_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = dict(data)
    if "organization_id" in fields:
        fields["organization"] = fields.pop("organization_id")
    return fields


def _person_for_write(person_id: UUID) -> Person:
    """The person a write will act on; the service's own audit event records the access."""
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise ApiError(404, "No such person.", code="not_found")
    return person


@router.get("", response={200: PersonPageOut, **error_responses(401, 403, 422)}, auth=staff_with(VIEW))
def list_persons(
    request: HttpRequest,
    q: Annotated[
        SearchText, Query("", description="Name prefix per word, e-mail address or phone number.")
    ] = "",
    organization_id: Annotated[
        int | None, Query(None, ge=1, le=MAX_DB_INT, description="Only without q.")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
):
    actor = api_actor(request)
    if q.strip():
        if organization_id is not None:
            raise field_error("organization_id", "Cannot be combined with q.")
        page = person_search(actor=actor, query=q, limit=limit, offset=offset, purpose=actor.purpose)
    else:
        page = person_list(
            actor=actor, limit=limit, offset=offset, organization_id=organization_id, purpose=actor.purpose
        )
    prefetch_related_objects(page.results, "categories")
    return {"items": page.results, "total": page.total, "limit": page.limit, "offset": page.offset}


@router.post("", response={201: PersonDetailOut, **error_responses(401, 403, 422)}, auth=staff_with(ADD))
def create_person(request: HttpRequest, payload: PersonIn):
    actor = api_actor(request)
    person = person_create(actor=actor, **_service_fields(payload.model_dump()))
    return Status(201, person)


@router.get(
    "/{person_id}",
    response={200: PersonDetailOut, **error_responses(401, 403, 404, 422)},
    auth=staff_with(VIEW),
)
def get_person(request: HttpRequest, person_id: PersonId):
    actor = api_actor(request)
    person = person_get(actor=actor, person_id=person_id, purpose=actor.purpose)
    if person is None:
        raise ApiError(404, "No such person.", code="not_found")
    return person


@router.patch(
    "/{person_id}",
    response={200: PersonDetailOut, **error_responses(401, 403, 404, 422)},
    auth=staff_with(CHANGE),
)
def update_person(request: HttpRequest, person_id: PersonId, payload: PersonPatch):
    person = _person_for_write(person_id)
    data = payload.model_dump(exclude_unset=True)
    if "categories" in data and data["categories"] is None:
        data["categories"] = []
    return person_update(actor=api_actor(request), person=person, **_service_fields(data))


@router.delete(
    "/{person_id}", response={204: None, **error_responses(401, 403, 404, 422)}, auth=staff_with(DELETE)
)
def delete_person(request: HttpRequest, person_id: PersonId):
    person = _person_for_write(person_id)
    person_delete(actor=api_actor(request), person=person)
    return Status(204, None)
