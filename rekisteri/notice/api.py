"""/api/v1/source-information: Art. 14 informing (section 5) for the privacy officer.

The same list and actions as the staff page /privacy/information/ (web.views.informing), with
the same permissions: who is owed the information (ids, source kinds and dates, overdue first;
no names: the page shows them, the API does not need to), telling one person or everyone due
through the outbox in their language, and recording information given by post or in person.
Every read and write is audited by the services (and the list here) as on the page.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field, StrictBool

from rekisteri.accounts.api_auth import api_actor, staff_with
from rekisteri.api.errors import ApiError, django_validation_errors, error_responses, field_errors_detail
from rekisteri.api.pagination import DEFAULT_LIMIT, Limit, Offset, PageOut
from rekisteri.api.schemas import InputSchema
from rekisteri.audit.services import Action, audit_record
from rekisteri.keystore.services import ciphers_for, key_scope
from rekisteri.notice.informing import (
    PURPOSE,
    information_due,
    information_record,
    information_send,
    information_send_due,
)
from rekisteri.notice.models import SourceInformation
from rekisteri.people.models import Person

router = Router(tags=["source information"])

VIEW = "notice.view_sourceinformation"
SEND = (VIEW, "notice.add_sourceinformation")
PersonId = Annotated[UUID, Path(description="The person's id (a UUID).")]


class DueOut(Schema):
    """A person owed the Art. 14 information: ids, kinds and dates, never a value."""

    person_id: UUID
    source_ids: list[UUID] = Field(description="The collections (privacy sources) not yet informed of.")
    kinds: list[str] = Field(description="Their source kinds, e.g. employer_or_partner, asiakastieto.")
    obtained_on: date = Field(description="The earliest collection not yet informed of.")
    due_on: date = Field(
        description="A month after that collection, or the first communication with the person if earlier "
        "(Art. 14(3))."
    )
    overdue: bool
    has_email: bool = Field(description="False: inform them by post or in person and record it.")
    restricted: bool = Field(description="Processing is restricted (Art. 18): nothing is sent meanwhile.")


class DuePageOut(PageOut):
    overdue_total: int
    items: list[DueOut]


class InformedOut(Schema):
    id: UUID
    source_id: UUID
    kind: str
    channel: str
    informed_on: date
    notice_version: int | None
    mail_id: UUID | None = Field(description="The outbox mail that carries it (e-mail only).")


class InformationOut(Schema):
    person_id: UUID
    informed: list[InformedOut]


class SendDueIn(InputSchema):
    # Strict: 0 or "false" is malformed input, not a boolean.
    dry_run: StrictBool = Field(
        False, description="Only say who would be informed; nothing is sent or recorded."
    )


class SendDueOut(Schema):
    dry_run: bool
    sent: list[UUID] = Field(description="Informed now (or, in a dry run, who would be).")
    no_address: list[UUID] = Field(description="Left for the privacy officer: no e-mail address.")
    restricted: list[UUID] = Field(description="Left out: processing is restricted (Art. 18).")


class RecordIn(InputSchema):
    """Information given by other means than the register's mail."""

    channel: Literal["post", "in_person"]


def _person(person_id: UUID) -> Person:
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise ApiError(404, "No such person.", code="not_found")
    return person


def _refused(exc: ValidationError) -> ApiError:
    # Nothing due, or no address: the input was well formed, a rule of the register refuses it.
    errors = django_validation_errors(exc)
    return ApiError(422, field_errors_detail(errors), code="rule_violation", errors=errors)


def _informed(person: Person, rows: list[SourceInformation]) -> dict:
    kinds = dict(person.sources.filter(pk__in=[row.source_id for row in rows]).values_list("pk", "kind"))
    return {
        "person_id": person.pk,
        "informed": [
            {
                "id": row.pk,
                "source_id": row.source_id,
                "kind": kinds.get(row.source_id, ""),
                "channel": row.channel,
                "informed_on": row.informed_on,
                "notice_version": row.notice_version.number if row.notice_version_id else None,
                "mail_id": row.mail_id,
            }
            for row in rows
        ],
    }


@router.get("", response={200: DuePageOut, **error_responses(401, 403, 422)}, auth=staff_with(VIEW))
def list_due(
    request: HttpRequest,
    overdue: Annotated[bool, Query(False, description="Only those past their due date.")] = False,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
):
    """Who is owed the Art. 14 information, the earliest due date (the overdue) first."""
    today = timezone.localdate()
    due = information_due()
    overdue_total = sum(1 for entry in due if entry.overdue(today))
    if overdue:
        due = [entry for entry in due if entry.overdue(today)]
    page = due[offset : offset + limit]
    ids = [entry.person_id for entry in page]
    with key_scope():
        ciphers_for(ids)
        persons = Person.objects.in_bulk(ids)
        # Whether an address exists is read from the decrypted value, as on the page.
        addressed = {pk for pk, person in persons.items() if person.email}
    if ids:
        audit_record(
            actor=api_actor(request),
            action=Action.LIST,
            object_type="person",
            object_ids=ids,
            person_ids=ids,
            purpose=PURPOSE,
            detail={"page": "source_information", "fields": ["has_email", "restricted", "sources"]},
        )
    items = [
        {
            "person_id": entry.person_id,
            "source_ids": entry.source_ids,
            "kinds": entry.kinds,
            "obtained_on": entry.obtained_on,
            "due_on": entry.due_on,
            "overdue": entry.overdue(today),
            "has_email": entry.person_id in addressed,
            "restricted": persons[entry.person_id].is_restricted if entry.person_id in persons else False,
        }
        for entry in page
    ]
    return {
        "items": items,
        "total": len(due),
        "overdue_total": overdue_total,
        "limit": limit,
        "offset": offset,
    }


@router.post(
    "/send-due", response={200: SendDueOut, **error_responses(401, 403, 422)}, auth=staff_with(*SEND)
)
def send_due(request: HttpRequest, payload: SendDueIn):
    """Inform everyone due by mail; those without an address or under restriction are left
    for the privacy officer and named by id."""
    report = information_send_due(actor=api_actor(request), dry_run=payload.dry_run)
    return {
        "dry_run": report.dry_run,
        "sent": report.sent,
        "no_address": report.no_address,
        "restricted": report.restricted,
    }


@router.post(
    "/{person_id}/send",
    response={200: InformationOut, **error_responses(401, 403, 404, 409, 422)},
    auth=staff_with(*SEND),
)
def send_one(request: HttpRequest, person_id: PersonId):
    """Mail the person the information about every collection not yet told of."""
    person = _person(person_id)
    if person.is_restricted:
        message = "Processing of the person's data is restricted (Art. 18): nothing is sent meanwhile."
        raise ApiError(409, message, code="restricted", errors=[("person_id", message)])
    try:
        informed = information_send(actor=api_actor(request), person=person)
    except ValidationError as exc:
        raise _refused(exc) from None
    return _informed(person, informed)


@router.post(
    "/{person_id}/record",
    response={201: InformationOut, **error_responses(401, 403, 404, 422)},
    auth=staff_with(*SEND),
)
def record_given(request: HttpRequest, person_id: PersonId, payload: RecordIn):
    """Record that the person was told by post or in person (no e-mail address)."""
    person = _person(person_id)
    try:
        informed = information_record(actor=api_actor(request), person=person, channel=payload.channel)
    except ValidationError as exc:
        raise _refused(exc) from None
    return Status(201, _informed(person, informed))
