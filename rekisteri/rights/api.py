"""/api/v1/requests: the register of data-subject requests (section 8, GDPR Art. 12-22).

For the privacy officer: every read goes through the audited selectors and every change
through the services, so the state machine and the Art. 12(3) deadline rules hold here as
in the UI and the CLI. A change the state machine refuses is a 409 "invalid_transition";
an extension that breaks Art. 12(3) is a 422 naming "extension".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from ninja import Path, Query, Router, Schema, Status
from pydantic import BeforeValidator, Field

from rekisteri.accounts.access import can_see_personal_data
from rekisteri.accounts.api_auth import api_actor, staff_with
from rekisteri.api.errors import ApiError, django_validation_errors, error_responses, field_error
from rekisteri.api.pagination import DEFAULT_LIMIT, Limit, Offset, PageOut
from rekisteri.api.schemas import BodyId, InputSchema, JsonInt, Line, Paragraphs
from rekisteri.people.api_schemas import PersonPatch
from rekisteri.people.models import Person
from rekisteri.privacy.models import Purpose
from rekisteri.rights.models import (
    Channel,
    DataSubjectRequest,
    RefusalKind,
    RequestType,
    Verification,
)
from rekisteri.rights.models import Status as RequestStatus
from rekisteri.rights.selectors import is_overdue, request_as_dict, request_find, request_get, request_list
from rekisteri.rights.services import (
    TransitionRefused,
    request_assign,
    request_charge_fee,
    request_create,
    request_extend,
    request_refuse,
    request_start,
    request_verify,
    request_withdraw,
)

router = Router(tags=["requests"])

VIEW = "rights.view_datasubjectrequest"
ADD = "rights.add_datasubjectrequest"
CHANGE = "rights.change_datasubjectrequest"

EARLIEST_YEAR = 2000


def _iso_date(value: object) -> object:
    # Pydantic would read a number as Unix seconds; a date is only ever written as a date.
    if not isinstance(value, str):
        raise ValueError("Give the date as YYYY-MM-DD.")
    return value


IsoDate = Annotated[
    date,
    # The document states the earliest year with a pattern: JSON Schema has no minimum for dates.
    Field(ge=date(EARLIEST_YEAR, 1, 1), json_schema_extra={"pattern": "^[2-9][0-9]{3}-"}),
    BeforeValidator(_iso_date),
]
RequestTypeName = Literal[tuple(RequestType.values)]
ChannelName = Literal[tuple(Channel.values)]
StatusName = Literal[tuple(RequestStatus.values)]
VerificationMethod = Literal[tuple(v for v in Verification.values if v)]
RefusalKindName = Literal[tuple(RefusalKind.values)]
# A request is told of an extension by a channel a person can receive it through.
NotifiedVia = Literal["email", "phone", "letter"]
RequestRef = Annotated[
    str, Path(description="The request's id (a UUID) or its reference (PR-XXXXXX).", max_length=36)
]


class RequestIn(InputSchema):
    """A request that came by e-mail, phone or letter. Without a verification it waits for one."""

    type: RequestTypeName
    channel: ChannelName
    email: Line(254) = ""
    name: Line(200) = ""
    details: Paragraphs(5000) = ""
    received_on: IsoDate | None = Field(None, description="Defaults to today.")
    language: Literal["fi", "en"] = "fi"
    verification: Literal[tuple(Verification.values)] = Field("", description="Empty: not verified yet.")
    verification_note: Paragraphs(1000) = ""
    person_id: UUID | None = Field(None, description="The person in the register it concerns, if known.")


class FulfilIn(InputSchema):
    """Only for some rights: the corrected values of a rectification, the purposes objected to."""

    changes: PersonPatch | None = Field(None, description="Rectification: the corrected person fields.")
    objection_to: Annotated[list[Line(64)], Field(max_length=20)] | None = Field(
        None, description="Objection: purpose slugs; by default direct marketing and legitimate interests."
    )


class VerifyIn(InputSchema):
    method: VerificationMethod = Field(description='How the identity was checked, or "failed".')
    note: Paragraphs(1000) = ""


class AssignIn(InputSchema):
    assignee_id: BodyId | None = Field(description="A staff member who may handle requests; null unassigns.")


class ExtendIn(InputSchema):
    """Art. 12(3): at most two further months, told with the reasons within the first month."""

    months: JsonInt(ge=0, le=12)
    reason: Paragraphs(2000) = ""
    notified_on: IsoDate = Field(description="When the requester was told of the extension.")
    notified_via: NotifiedVia = "email"


class RefuseIn(InputSchema):
    """The reasons are mailed to the requester with the complaint route (Art. 12(4))."""

    refusal_kind: RefusalKindName = "other"
    reason: Paragraphs(5000)


class FeeIn(InputSchema):
    """A reasonable fee for a manifestly unfounded or excessive request (Art. 12(5))."""

    fee_cents: JsonInt(ge=1, le=100_000)
    fee_reason: Paragraphs(1000)


class RequestSummaryOut(Schema):
    """A row of the list: no personal values (open the request for those)."""

    id: UUID
    reference: str
    type: str
    channel: str
    status: str
    received_on: date
    due_on: date
    overdue: bool
    extension_months: int
    verified: bool
    person_id: UUID | None
    assignee_id: int | None
    assignee: str | None

    @staticmethod
    def resolve_overdue(obj: DataSubjectRequest) -> bool:
        return is_overdue(obj)

    @staticmethod
    def resolve_verified(obj: DataSubjectRequest) -> bool:
        return obj.verified_at is not None

    @staticmethod
    def resolve_assignee(obj: DataSubjectRequest) -> str | None:
        return obj.assignee.get_username() if obj.assignee_id else None


class MailOut(Schema):
    """A mail about the request and its delivery (rekisteri.outbox)."""

    id: UUID
    kind: str
    kind_label: str
    state: str = Field(description="queued, sending, sent, failed or cancelled")
    state_label: str
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    sent_at: datetime | None
    failed_at: datetime | None
    delivered_via: str
    smtp_reply_code: int | None = Field(description="The code of the last failure; 0: no connection.")
    smtp_reply: str | None = Field(description="The server's last refusal; null once the content is erased.")
    to: str | None
    resend_of: UUID | None
    content_erased: bool


class RequestOut(Schema):
    """One request with the requester's own values (built by selectors.request_as_dict)."""

    id: UUID
    reference: str
    type: str
    channel: str
    language: str
    status: str
    received_on: date
    received_at: datetime | None = Field(
        description="The moment the portal received the request; null when only the day is known "
        "(requests entered by staff)."
    )
    due_on: date
    overdue: bool
    person_id: UUID | None
    verification: str
    verified: bool
    verified_at: datetime | None
    extension_months: int
    extension_notified_on: date | None
    extension_notified_via: str
    assignee_id: int | None
    assignee: str | None
    refusal_kind: str
    response_channel: str
    fee_cents: int | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    values_erased: bool = Field(
        description="True after an erasure: the request's own values were destroyed with its key."
    )
    erasure_evidence: dict[str, Any] = Field(
        description="An erasure request's proof once fulfilled, else {}: keys (destroyed, "
        "data_key_id, master_key_ids, destroyed_at), rows and detached (per model), storage (each "
        "database's WAL checkpoint), scan (performed, result clean|found, files, fragments, "
        "found: owner id, kind, file). Ids and counts only."
    )
    requester_email: str
    requester_name: str
    details: str
    verification_note: str
    extension_reason: str
    decision: str
    fee_reason: str
    mails: list[MailOut]


class RequestPageOut(PageOut):
    items: list[RequestSummaryOut]


@contextmanager
def _state_machine() -> Iterator[None]:
    """A change the request's state does not allow is a conflict (409), not bad input."""
    try:
        yield
    except TransitionRefused as exc:
        errors = django_validation_errors(exc)
        detail = "; ".join(error[1] for error in errors) or "The request cannot change that way."
        raise ApiError(409, detail, code="invalid_transition", errors=errors) from None


def _request_for_write(value: str) -> DataSubjectRequest:
    """The request a change acts on; the service's own audit event records the access."""
    request = request_find(value)
    if request is None:
        raise ApiError(404, "No such request.", code="not_found")
    return request


def _reloaded(request: DataSubjectRequest) -> dict:
    # Services may save a locked copy; answer with what is now stored.
    return request_as_dict(DataSubjectRequest.objects.select_related("assignee").get(pk=request.pk))


@router.get("", response={200: RequestPageOut, **error_responses(401, 403, 422)}, auth=staff_with(VIEW))
def list_requests(
    request: HttpRequest,
    status: Annotated[StatusName | None, Query(None, description="Only requests in this state.")] = None,
    type: Annotated[RequestTypeName | None, Query(None, description="Only requests of this type.")] = None,
    open_only: Annotated[bool, Query(False, description="Only open requests.")] = False,
    overdue: Annotated[bool, Query(False, description="Only open requests past their due date.")] = False,
    due_within_days: Annotated[
        int | None,
        Query(None, ge=0, le=366, description="Only open requests due within N days, overdue included."),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
):
    page = request_list(
        actor=api_actor(request),
        status=status,
        type=type,
        open_only=open_only,
        overdue=overdue,
        due_within_days=due_within_days,
        limit=limit,
        offset=offset,
    )
    return {"items": page.results, "total": page.total, "limit": page.limit, "offset": page.offset}


@router.post("", response={201: RequestOut, **error_responses(401, 403, 422)}, auth=staff_with(ADD))
def create_request(request: HttpRequest, payload: RequestIn):
    if payload.person_id is not None and not Person.objects.filter(pk=payload.person_id).exists():
        raise field_error("person_id", "No such person.")
    created = request_create(actor=api_actor(request), **payload.model_dump())
    return Status(201, _reloaded(created))


@router.get(
    "/{request_id}", response={200: RequestOut, **error_responses(401, 403, 404, 422)}, auth=staff_with(VIEW)
)
def get_request(request: HttpRequest, request_id: RequestRef):
    found = request_get(actor=api_actor(request), value=request_id)
    if found is None:
        raise ApiError(404, "No such request.", code="not_found")
    return request_as_dict(found)


_CHANGE_RESPONSES = {200: RequestOut, **error_responses(401, 403, 404, 409, 422)}


@router.post("/{request_id}/verify", response=_CHANGE_RESPONSES, auth=staff_with(CHANGE))
def verify_request(request: HttpRequest, request_id: RequestRef, payload: VerifyIn):
    """Record how the requester's identity was checked; a verified request leaves the wait."""
    target = _request_for_write(request_id)
    with _state_machine():
        target = request_verify(
            actor=api_actor(request), request=target, method=payload.method, note=payload.note
        )
    return _reloaded(target)


@router.post("/{request_id}/assign", response=_CHANGE_RESPONSES, auth=staff_with(CHANGE))
def assign_request(request: HttpRequest, request_id: RequestRef, payload: AssignIn):
    target = _request_for_write(request_id)
    assignee = None
    if payload.assignee_id is not None:
        assignee = get_user_model().objects.filter(pk=payload.assignee_id).first()
        if assignee is None:
            raise field_error("assignee_id", "No such staff member.")
        # Only someone who may see personal data and handle requests can be given one.
        if not can_see_personal_data(assignee) or not assignee.has_perm(CHANGE):
            raise field_error("assignee_id", "This staff member may not handle data-subject requests.")
    if not target.is_open:
        raise ApiError(
            409,
            "A closed request cannot be reassigned.",
            code="invalid_transition",
            errors=[("status", "A closed request cannot be reassigned.")],
        )
    return _reloaded(request_assign(actor=api_actor(request), request=target, assignee=assignee))


@router.post("/{request_id}/start", response=_CHANGE_RESPONSES, auth=staff_with(CHANGE))
def start_request(request: HttpRequest, request_id: RequestRef):
    target = _request_for_write(request_id)
    with _state_machine():
        target = request_start(actor=api_actor(request), request=target)
    return _reloaded(target)


@router.post("/{request_id}/extend", response=_CHANGE_RESPONSES, auth=staff_with(CHANGE))
def extend_request(request: HttpRequest, request_id: RequestRef, payload: ExtendIn):
    """Extend the deadline (Art. 12(3)); a breach of its rules is a 422 naming "extension"."""
    target = _request_for_write(request_id)
    with _state_machine():
        target = request_extend(
            actor=api_actor(request),
            request=target,
            months=payload.months,
            reason=payload.reason,
            notified_on=payload.notified_on,
            notified_via=payload.notified_via,
        )
    return _reloaded(target)


@router.post("/{request_id}/refuse", response=_CHANGE_RESPONSES, auth=staff_with(CHANGE))
def refuse_request(request: HttpRequest, request_id: RequestRef, payload: RefuseIn):
    target = _request_for_write(request_id)
    with _state_machine():
        target = request_refuse(
            actor=api_actor(request), request=target, kind=payload.refusal_kind, reason=payload.reason
        )
    return _reloaded(target)


@router.post("/{request_id}/fee", response=_CHANGE_RESPONSES, auth=staff_with(CHANGE))
def charge_fee(request: HttpRequest, request_id: RequestRef, payload: FeeIn):
    target = _request_for_write(request_id)
    if not target.is_open:
        raise ApiError(
            409,
            "A closed request cannot be charged a fee.",
            code="invalid_transition",
            errors=[("status", "A closed request cannot be charged a fee.")],
        )
    target = request_charge_fee(
        actor=api_actor(request), request=target, cents=payload.fee_cents, reason=payload.fee_reason
    )
    return _reloaded(target)


@router.post("/{request_id}/withdraw", response=_CHANGE_RESPONSES, auth=staff_with(CHANGE))
def withdraw_request(request: HttpRequest, request_id: RequestRef):
    target = _request_for_write(request_id)
    with _state_machine():
        target = request_withdraw(actor=api_actor(request), request=target)
    return _reloaded(target)


@router.post("/{request_id}/fulfil", response=_CHANGE_RESPONSES, auth=staff_with(CHANGE))
def fulfil_request(request: HttpRequest, request_id: RequestRef, payload: FulfilIn | None = None):
    """Carry out the right the request asks for, in one action: the request comes back
    fulfilled, refused with reasons (an obligation to keep, a right that does not apply) or
    in progress (an objection awaiting the privacy officer's decision)."""
    from rekisteri.rights.fulfilment import request_fulfil

    target = _request_for_write(request_id)
    options = {}
    if payload is not None and payload.changes is not None:
        changes = payload.changes.model_dump(exclude_unset=True)
        if "organization_id" in changes:
            changes["organization"] = changes.pop("organization_id")
        if "categories" in changes and changes["categories"] is None:
            changes["categories"] = []
        options["changes"] = changes
    if payload is not None and payload.objection_to is not None:
        known = set(Purpose.objects.values_list("slug", flat=True))
        unknown = sorted(set(payload.objection_to) - known)
        if unknown:
            raise field_error("objection_to", f"Unknown purpose(s): {', '.join(unknown)}.")
        options["objection_to"] = payload.objection_to
    # No transaction here: an erasure must run outside one (privacy/erasure.py).
    with _state_machine():
        target = request_fulfil(actor=api_actor(request), request=target, **options)
    return _reloaded(target)
