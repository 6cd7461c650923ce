"""/api/v1/persons: contact persons, students and prospects.

Every read goes through the audited selectors and every write through the services, with
origin "api" and the purpose of the caller's role. A caller sees the persons and the fields
their role's view rule allows (people.visibility); others are 404 or null.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import Field

from rekisteri.accounts.api_auth import api_actor, api_user, staff_with
from rekisteri.accounts.idempotency import (
    KeyReused,
    fingerprint,
    submission_claim,
    submission_complete,
)
from rekisteri.api.errors import ApiError, django_validation_errors, error_responses, field_error
from rekisteri.api.pagination import DEFAULT_LIMIT, Limit, Offset
from rekisteri.api.schemas import InputSchema, Line
from rekisteri.people.api_schemas import (
    DuplicateOut,
    GoneOut,
    IdempotencyKey,
    OverrideReason,
    PersonDetailOut,
    PersonExportIn,
    PersonId,
    PersonIn,
    PersonPageOut,
    PersonPatch,
    PersonQuery,
    ReadReason,
)
from rekisteri.people.export import CONTENT_TYPES, EXPORT_MAX_ROWS, person_export
from rekisteri.people.merge import MERGEABLE_FIELDS, person_merge
from rekisteri.people.models import MergeReason, Person
from rekisteri.people.restriction import READ_REASON_MAX, READ_REASON_MIN, read_reason_clean
from rekisteri.people.selectors import (
    DEFAULT_SORT,
    PersonView,
    merged_into,
    person_as_created,
    person_get,
    person_list,
    person_search,
    person_view,
    persons_shown,
    visible_persons,
)
from rekisteri.people.services import (
    BirthDateNotNeeded,
    DuplicatePerson,
    person_birth_date_set,
    person_create,
    person_delete,
    person_update,
)
from rekisteri.people.visibility import CATEGORIES, shown_groups

router = Router(tags=["persons"])

VIEW = "people.view_person"
ADD = "people.add_person"
CHANGE = "people.change_person"
DELETE = "people.delete_person"
MERGE = "people.merge_person"
EXPORT = "people.export_person"


def _detail(request: HttpRequest, person: Person) -> PersonView:
    return person_view(person, shown_groups(api_user(request)), detail=True)


def _service_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = dict(data)
    if "organization_id" in fields:
        fields["organization"] = fields.pop("organization_id")
    return fields


class MergeIn(InputSchema):
    merged_id: UUID = Field(description="The other record of the same person; it is removed.")
    reason: Literal[tuple(MergeReason.values)]
    fields_from_merged: Annotated[
        list[Literal[MERGEABLE_FIELDS]],
        Field(max_length=len(MERGEABLE_FIELDS), description="Fields that take the merged record's value."),
    ] = []
    bases_from_merged: Annotated[
        list[Line(64)],
        Field(
            max_length=50,
            description="Purposes (slugs) for which the merged record's legal basis replaces the "
            "survivor's, where both have one.",
        ),
    ] = []


def person_missing(person_id: UUID) -> ApiError:
    """404 for an unknown id; 410 "merged" with the survivor's id for a merged person's old id.

    A merged id is never redirected (a client's PATCH or DELETE must not silently land on
    another record): the client is told the id to use from now on.
    """
    moved = merged_into(person_id)
    if moved is not None:
        return ApiError(
            410,
            "This person was merged into another record; use survivor_id from now on.",
            code="merged",
            extra={"survivor_id": str(moved.survivor_id)},
        )
    return ApiError(404, "No such person.", code="not_found")


def _person_for_write(request: HttpRequest, person_id: UUID) -> Person:
    """The person a write will act on, if the caller may see them (visible_persons); the
    service's own audit event records the access."""
    person = visible_persons(api_user(request)).filter(pk=person_id).first()
    if person is None:
        raise person_missing(person_id)
    return person


def _duplicate_error(request: HttpRequest, exc: DuplicatePerson) -> ApiError:
    # Telling the caller who has the address is a read of those persons: audited.
    actor = api_actor(request)
    shown = persons_shown(
        actor=actor, person_ids=exc.existing_ids, reason="duplicate_warning", purpose=actor.purpose
    )
    errors = django_validation_errors(exc)
    return ApiError(
        409,
        "Another person in the register has the same e-mail address or phone number. "
        "Send allow_duplicate: true to save anyway.",
        code="duplicate",
        errors=errors,
        extra={"existing_ids": [str(person.pk) for person in shown]},
    )


@router.get("", response={200: PersonPageOut, **error_responses(401, 403, 422)}, auth=staff_with(VIEW))
def list_persons(
    request: HttpRequest, params: Query[PersonQuery], limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
):
    actor = api_actor(request)
    filters = params.filters()
    if params.q.strip():
        page = person_search(
            actor=actor,
            query=params.q,
            limit=limit,
            offset=offset,
            filters=filters,
            sort=params.sort or "",
        )
    else:
        page = person_list(
            actor=actor,
            limit=limit,
            offset=offset,
            filters=filters,
            sort=params.sort or DEFAULT_SORT,
        )
    groups = shown_groups(api_user(request))
    if CATEGORIES in groups:
        prefetch_related_objects(page.results, "categories")
    return {
        "items": [person_view(person, groups) for person in page.results],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
        "total_capped": page.total_capped,
    }


@router.post(
    "/export",
    response={200: None, **error_responses(401, 403, 422)},
    auth=staff_with(VIEW, EXPORT),
    openapi_extra={
        "responses": {
            200: {
                "description": (
                    f"The file: CSV (UTF-8, semicolons) or XLSX, at most {EXPORT_MAX_ROWS} persons, "
                    "restricted persons left out. Recorded as a disclosure of every person in it."
                ),
                "content": {content_type: {} for content_type in CONTENT_TYPES.values()},
            }
        }
    },
)
def export_persons(request: HttpRequest, payload: PersonExportIn):
    """A list or search result as a file for a recipient (section 6), for a purpose."""
    filters = payload.filters()
    try:
        exported = person_export(
            actor=api_actor(request),
            format=payload.format,
            purpose=payload.disclosure_purpose,
            filters=filters,
            query=payload.q,
            sort=payload.sort or "name",
            recipient_company_id=payload.recipient_company_id,
            recipient_name=payload.recipient_name,
        )
    except ValidationError as exc:
        # The service's "purpose" is this body's disclosure_purpose ("purpose" is a filter).
        if hasattr(exc, "error_dict") and "purpose" in exc.error_dict:
            exc.error_dict["disclosure_purpose"] = exc.error_dict.pop("purpose")
        raise
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@router.post(
    "",
    response={201: PersonDetailOut, 409: DuplicateOut, 410: GoneOut, **error_responses(401, 403, 404, 422)},
    auth=staff_with(ADD),
)
def create_person(
    request: HttpRequest, response: HttpResponse, payload: PersonIn, idempotency_key: IdempotencyKey = None
):
    actor = api_actor(request)
    data = payload.model_dump()
    allow_duplicate = data.pop("allow_duplicate")
    if not idempotency_key:
        # No transaction around the service: it makes the key and the index entries before
        # it takes the write lock. The answer shows what was just written (recorded by the
        # create event), so it needs no second audited read and no second commit.
        try:
            person = person_create(actor=actor, allow_duplicate=allow_duplicate, **_service_fields(data))
        except DuplicatePerson as exc:
            raise _duplicate_error(request, exc) from None
        return Status(201, _detail(request, person_as_created(person)))
    try:
        with transaction.atomic():
            claim = None
            if idempotency_key:
                claim = submission_claim(
                    user=api_user(request),
                    scope="api:person_create",
                    key=idempotency_key,
                    content_hash=fingerprint({**data, "allow_duplicate": allow_duplicate}),
                )
            if claim is not None and claim.replayed:
                person_id = claim.result_id
            else:
                person_id = person_create(
                    actor=actor, allow_duplicate=allow_duplicate, **_service_fields(data)
                ).pk
                if claim is not None:
                    submission_complete(claim, person_id)
    except KeyReused:
        raise ApiError(
            422,
            "This Idempotency-Key was already used for a different request; use a new key.",
            code="idempotency_key_reused",
            errors=[("Idempotency-Key", "Already used for a different request.")],
        ) from None
    except DuplicatePerson as exc:
        raise _duplicate_error(request, exc) from None
    # Read back through the audited selector: the replay of a key answers as the first did.
    person = person_get(actor=actor, person_id=person_id)
    if person is None:
        raise person_missing(person_id)
    if claim is not None and claim.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(201, _detail(request, person))


def read_reason_or_400(reason: str) -> str:
    """A stated Art. 18 read reason, cleaned ("" when none was given); one too short or too
    long is a 400 rule_violation, the same for every read that takes `?reason=`."""
    if not reason:
        return ""
    try:
        return read_reason_clean(reason)
    except ValidationError as exc:
        message = django_validation_errors(exc)[0][1]
        raise ApiError(400, message, code="rule_violation", errors=[("reason", message)]) from None


@router.get(
    "/{person_id}",
    response={200: PersonDetailOut, 410: GoneOut, **error_responses(400, 401, 403, 404, 422)},
    auth=staff_with(VIEW),
)
def get_person(
    request: HttpRequest,
    person_id: PersonId,
    reason: Annotated[
        ReadReason,
        Query(
            "",
            description=(
                "Art. 18: a restricted person is 404 for every role but the privacy officer's. "
                f"A legal reason ({READ_REASON_MIN}-{READ_REASON_MAX} characters: the legal "
                "claim, the authority's request, the statute) reads them all the same when the "
                "role would see them but for the restriction; the read's audit event keeps it. "
                "Too short: 400 rule_violation. Without it, or for anyone else: 404."
            ),
        ),
    ] = "",
):
    actor = api_actor(request)
    person = person_get(actor=actor, person_id=person_id, read_reason=read_reason_or_400(reason))
    if person is None:
        raise person_missing(person_id)
    return _detail(request, person)


@router.patch(
    "/{person_id}",
    response={
        200: PersonDetailOut,
        409: DuplicateOut,
        410: GoneOut,
        **error_responses(400, 401, 403, 404, 422),
    },
    auth=staff_with(CHANGE),
)
def update_person(request: HttpRequest, person_id: PersonId, payload: PersonPatch):
    person = _person_for_write(request, person_id)
    data = payload.model_dump(exclude_unset=True)
    allow_duplicate = bool(data.pop("allow_duplicate", False))
    birth_date_sent = "birth_date" in data
    birth_date = data.pop("birth_date", None)
    if "categories" in data and data["categories"] is None:
        data["categories"] = []
    actor = api_actor(request)
    try:
        with transaction.atomic():
            # A name change first: the birth-date rule looks for namesakes of the new name.
            if data or not birth_date_sent:
                person = person_update(
                    actor=actor, person=person, allow_duplicate=allow_duplicate, **_service_fields(data)
                )
            if birth_date_sent:
                person = person_birth_date_set(actor=actor, person=person, birth_date=birth_date)
        return _detail(request, person)
    except DuplicatePerson as exc:
        raise _duplicate_error(request, exc) from None
    except BirthDateNotNeeded as exc:
        # The contract: 400, naming the rule, not the 422 of other rules.
        errors = django_validation_errors(exc)
        raise ApiError(400, errors[0][1], code="rule_violation", errors=errors) from None


@router.delete(
    "/{person_id}",
    response={204: None, 410: GoneOut, **error_responses(401, 403, 404, 409, 422)},
    auth=staff_with(DELETE),
)
def delete_person(
    request: HttpRequest,
    person_id: PersonId,
    override_reason: Annotated[
        OverrideReason,
        Query(
            "",
            description=(
                "Art. 17(3): while a contract or a legal obligation is in force or a legal hold "
                "applies, the deletion is refused with 409 obligation_to_keep; the privacy officer "
                "may delete anyway by stating the reasons here."
            ),
        ),
    ] = "",
):
    person = _person_for_write(request, person_id)
    person_delete(actor=api_actor(request), person=person, override_reason=override_reason)
    return Status(204, None)


@router.post(
    "/{person_id}/merge",
    response={200: PersonDetailOut, 410: GoneOut, **error_responses(401, 403, 404, 409, 422)},
    auth=staff_with(MERGE, VIEW),
)
def merge_person(request: HttpRequest, person_id: PersonId, payload: MergeIn):
    """Merge another record of the same person into this one, which stays.

    Everything recorded on the merged record moves here; its id answers 410 with code
    "merged" and this person's id from then on.
    """
    actor = api_actor(request)
    survivor = _person_for_write(request, person_id)
    merged = visible_persons(api_user(request)).filter(pk=payload.merged_id).first()
    if merged is None:
        moved = merged_into(payload.merged_id)
        message = "Already merged into another person." if moved is not None else "No such person."
        raise field_error("merged_id", message)
    person_merge(
        actor=actor,
        survivor=survivor,
        merged=merged,
        reason=payload.reason,
        fields_from_merged=payload.fields_from_merged,
        bases_from_merged=payload.bases_from_merged,
    )
    return _detail(request, person_get(actor=actor, person_id=survivor.pk))
