"""/api/v1/organizations: customer, prospect and partner organizations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from ninja import Path, Query, Router, Schema, Status
from pydantic import AfterValidator, Field

from rekisteri.accounts.api_auth import api_actor, staff_with
from rekisteri.api.errors import ApiError, error_responses, field_error
from rekisteri.api.pagination import DEFAULT_LIMIT, Limit, Offset, PageOut
from rekisteri.api.schemas import MAX_DB_INT, BodyId, InputSchema, Line, PatchSchema
from rekisteri.organizations.models import Organization, RelationshipStatus
from rekisteri.organizations.selectors import organization_get, organization_list
from rekisteri.organizations.services import (
    default_owner_company,
    organization_create,
    organization_delete,
    organization_update,
)

router = Router(tags=["organizations"])

VIEW = "organizations.view_organization"
ADD = "organizations.add_organization"
CHANGE = "organizations.change_organization"
DELETE = "organizations.delete_organization"


def _country_code(value: str) -> str:
    if len(value) != 2 or not value.isascii() or not value.isalpha():
        raise ValueError("Use a two-letter country code such as FI or SE.")
    return value.upper()


CountryCode = Annotated[str, AfterValidator(_country_code)]
StatusValue = Literal[tuple(RelationshipStatus.values)]
StaffIds = Annotated[list[BodyId], Field(max_length=100)]
OrganizationName = Line(200)
BusinessId = Line(32)
StreetAddress = Line(200)
PostalCode = Line(20)
City = Line(100)
SearchText = Line(200)


class OrganizationIn(InputSchema):
    """A whole organization (POST, PUT). owner_company_id defaults to the controller."""

    name: OrganizationName
    business_id: BusinessId = ""
    business_id_country: CountryCode = "FI"
    street_address: StreetAddress = ""
    postal_code: PostalCode = ""
    city: City = ""
    country: CountryCode = "FI"
    status: StatusValue = RelationshipStatus.PROSPECT.value
    owner_company_id: BodyId | None = None
    responsible_staff_ids: StaffIds = []


class OrganizationPatch(PatchSchema):
    """Only the fields sent are changed; null clears an optional field."""

    nullable: ClassVar[frozenset[str]] = frozenset(
        {"business_id", "street_address", "postal_code", "city", "responsible_staff_ids"}
    )

    name: OrganizationName | None = None
    business_id: BusinessId | None = None
    business_id_country: CountryCode | None = None
    street_address: StreetAddress | None = None
    postal_code: PostalCode | None = None
    city: City | None = None
    country: CountryCode | None = None
    status: StatusValue | None = None
    owner_company_id: BodyId | None = None
    responsible_staff_ids: StaffIds | None = None


class OrganizationOut(Schema):
    id: int
    name: str
    business_id: str
    business_id_country: str
    street_address: str
    postal_code: str
    city: str
    country: str
    status: str
    owner_company_id: int
    responsible_staff_ids: list[int]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_responsible_staff_ids(obj: Organization) -> list[int]:
        return sorted(user.pk for user in obj.responsible_staff.all())


class OrganizationPageOut(PageOut):
    items: list[OrganizationOut]


def _responsible_staff(ids: list[int] | None) -> list | None:
    """The staff users for the ids, or a 422 naming responsible_staff_ids."""
    if ids is None:
        return None
    wanted = set(ids)
    users = list(get_user_model().objects.filter(pk__in=wanted, staff_profile__isnull=False))
    missing = wanted - {user.pk for user in users}
    if missing:
        message = f"No staff member with id {', '.join(str(pk) for pk in sorted(missing))}."
        raise field_error("responsible_staff_ids", message)
    return users


def _service_fields(data: dict[str, Any]) -> dict[str, Any]:
    """API field names to the service's: owner_company_id -> owner_company."""
    fields = dict(data)
    fields.pop("responsible_staff_ids", None)
    if "owner_company_id" in fields:
        fields["owner_company"] = fields.pop("owner_company_id")
    return fields


def _organization_for_write(organization_id: int) -> Organization:
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        raise ApiError(404, "No such organization.", code="not_found")
    return organization


OrganizationId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]


@router.get("", response={200: OrganizationPageOut, **error_responses(401, 403, 422)}, auth=staff_with(VIEW))
def list_organizations(
    request: HttpRequest,
    q: Annotated[SearchText, Query("", description="Name prefix or a Finnish business ID.")] = "",
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
):
    actor = api_actor(request)
    page = organization_list(actor=actor, query=q, limit=limit, offset=offset, purpose=actor.purpose)
    return {"items": page.results, "total": page.total, "limit": page.limit, "offset": page.offset}


@router.post("", response={201: OrganizationOut, **error_responses(401, 403, 409, 422)}, auth=staff_with(ADD))
def create_organization(request: HttpRequest, payload: OrganizationIn):
    data = payload.model_dump()
    staff = _responsible_staff(data["responsible_staff_ids"])
    fields = _service_fields(data)
    if fields["owner_company"] is None:
        fields.pop("owner_company")  # the service defaults to the controller
    organization = organization_create(actor=api_actor(request), responsible_staff=staff, **fields)
    return Status(201, organization)


@router.get(
    "/{organization_id}",
    response={200: OrganizationOut, **error_responses(401, 403, 404, 422)},
    auth=staff_with(VIEW),
)
def get_organization(request: HttpRequest, organization_id: OrganizationId):
    actor = api_actor(request)
    organization = organization_get(actor=actor, organization_id=organization_id, purpose=actor.purpose)
    if organization is None:
        raise ApiError(404, "No such organization.", code="not_found")
    return organization


@router.put(
    "/{organization_id}",
    response={200: OrganizationOut, **error_responses(401, 403, 404, 409, 422)},
    auth=staff_with(CHANGE),
)
def replace_organization(request: HttpRequest, organization_id: OrganizationId, payload: OrganizationIn):
    organization = _organization_for_write(organization_id)
    data = payload.model_dump()
    staff = _responsible_staff(data["responsible_staff_ids"])
    fields = _service_fields(data)
    if fields["owner_company"] is None:
        owner = default_owner_company()
        fields["owner_company"] = owner.pk if owner is not None else None
    return organization_update(
        actor=api_actor(request), organization=organization, responsible_staff=staff, **fields
    )


@router.patch(
    "/{organization_id}",
    response={200: OrganizationOut, **error_responses(401, 403, 404, 409, 422)},
    auth=staff_with(CHANGE),
)
def update_organization(request: HttpRequest, organization_id: OrganizationId, payload: OrganizationPatch):
    organization = _organization_for_write(organization_id)
    data = payload.model_dump(exclude_unset=True)
    staff = None
    if "responsible_staff_ids" in data:
        staff = _responsible_staff(data["responsible_staff_ids"] or [])  # null clears the list
    return organization_update(
        actor=api_actor(request), organization=organization, responsible_staff=staff, **_service_fields(data)
    )


@router.delete(
    "/{organization_id}", response={204: None, **error_responses(401, 403, 404, 422)}, auth=staff_with(DELETE)
)
def delete_organization(request: HttpRequest, organization_id: OrganizationId):
    organization = _organization_for_write(organization_id)
    organization_delete(actor=api_actor(request), organization=organization)
    return Status(204, None)
