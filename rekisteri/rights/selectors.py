"""Reading data-subject requests, with the audit event every read of a request owes.

A request holds personal values (the requester's address, name and message), so the
API, the CLI and the staff UI read it through these functions, which audit ids only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.utils import timezone

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.outbox.selectors import mail_as_dict, mail_values, mails_about
from rekisteri.privacy.erasure_proof import evidence_current
from rekisteri.rights.mail import ABOUT_REQUEST
from rekisteri.rights.models import CLOSED_STATUSES, DataSubjectRequest

PURPOSE = "rights_and_obligations"
_REFERENCE = re.compile(r"[A-Za-z0-9-]{1,16}")
MAX_PAGE_SIZE = 200


@dataclass
class RequestPage:
    results: list[DataSubjectRequest]
    total: int
    limit: int
    offset: int


def request_find(value: str | UUID) -> DataSubjectRequest | None:
    """A request by its id (UUID) or reference (PR-XXXXXX, any case). Not audited: for writes,
    whose service records the access, and for the audited readers below."""
    requests = DataSubjectRequest.objects.select_related("assignee")
    if isinstance(value, UUID):
        return requests.filter(pk=value).first()
    value = str(value).strip()
    try:
        return requests.filter(pk=UUID(value)).first()
    except ValueError:
        pass
    # A reference is letters, digits and a dash; anything else (a NUL byte, which PostgreSQL
    # refuses in a query) cannot name a request.
    if not _REFERENCE.fullmatch(value):
        return None
    return requests.filter(reference=value.upper()).first()


def request_get(*, actor: Actor, value: str | UUID, purpose: str = PURPOSE) -> DataSubjectRequest | None:
    """One request by id or reference; the read is audited as a view of it (and of its person)."""
    request = request_find(value)
    if request is not None:
        audit_record(
            actor=actor,
            action="view",
            object_type="rights_request",
            object_ids=[request.pk],
            person_ids=[request.person_id] if request.person_id else [],
            purpose=purpose,
            detail={"type": request.type, "status": request.status},
        )
    return request


def request_list(
    *,
    actor: Actor,
    status: str | None = None,
    type: str | None = None,
    open_only: bool = False,
    overdue: bool = False,
    due_within_days: int | None = None,
    not_yet_due: bool = False,
    closed_only: bool = False,
    limit: int = 50,
    offset: int = 0,
    today: date | None = None,
    purpose: str = PURPOSE,
) -> RequestPage:
    """Requests by due date (closed ones: the latest closed first), filtered; the audit event
    names the requests shown and the filters, never a value.

    `overdue`: only open requests past their due date. `due_within_days=N`: only open
    requests due no later than N days from today, overdue ones included unless
    `not_yet_due`. `closed_only`: fulfilled, refused and withdrawn requests.
    """
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(0, offset)
    today = today or timezone.localdate()
    requests = DataSubjectRequest.objects.select_related("assignee")
    filters = []
    if status:
        requests = requests.filter(status=status)
        filters.append("status")
    if type:
        requests = requests.filter(type=type)
        filters.append("type")
    if open_only or overdue or due_within_days is not None:
        requests = requests.exclude(status__in=CLOSED_STATUSES)
    if closed_only:
        requests = requests.filter(status__in=CLOSED_STATUSES)
    if overdue:
        requests = requests.filter(due_on__lt=today)
        filters.append("overdue")
    if due_within_days is not None:
        requests = requests.filter(due_on__lte=today + timedelta(days=due_within_days))
        if not_yet_due:
            requests = requests.filter(due_on__gte=today)
        filters.append("due_soon")
    if closed_only:
        requests = requests.order_by("-closed_at", "-received_on", "-created_at", "pk")
    else:
        requests = requests.order_by("due_on", "received_on", "created_at", "pk")
    total = requests.count()
    results = list(requests[offset : offset + limit])
    audit_record(
        actor=actor,
        action="list",
        object_type="rights_request",
        object_ids=[request.pk for request in results],
        person_ids=sorted({str(request.person_id) for request in results if request.person_id}),
        purpose=purpose,
        detail={"count": len(results), "total": total, "filters": filters},
    )
    return RequestPage(results=results, total=total, limit=limit, offset=offset)


def open_requests():
    """Requests not yet fulfilled, refused or withdrawn: the privacy officer's work list."""
    return DataSubjectRequest.objects.exclude(status__in=CLOSED_STATUSES)


def is_overdue(request: DataSubjectRequest, today: date | None = None) -> bool:
    return request.is_open and request.due_on < (today or timezone.localdate())


# The request's own values, under its own data key (destroyed once an erasure is done).
ENCRYPTED_FIELDS = (
    "requester_email",
    "requester_name",
    "details",
    "verification_note",
    "extension_reason",
    "decision",
    "fee_reason",
)


def request_values(request: DataSubjectRequest) -> dict[str, str] | None:
    """The request's own personal values, or None when its key was destroyed: after an
    erasure (Art. 17) nothing of the person stays readable in the request record either."""
    from rekisteri.keystore.services import KeyDestroyed

    try:
        return {name: getattr(request, name) for name in ENCRYPTED_FIELDS}
    except KeyDestroyed:
        return None


def request_mails(request: DataSubjectRequest, *, erased: bool = False) -> list[dict[str, Any]]:
    """The mails about a request and where each stands. Once the request's own values are
    erased, so are its mails' recipients and replies, even of a confirmation still on its way."""
    return [
        mail_as_dict(mail, None if erased else mail_values(mail))
        for mail in mails_about(ABOUT_REQUEST, request.pk)
    ]


def request_as_dict(request: DataSubjectRequest, today: date | None = None) -> dict[str, Any]:
    """Every field of a request as JSON-ready values (the API's answer, the CLI's `show --json`).

    `values_erased` is true when the request's own values can no longer be read; they are
    then empty strings.
    """

    def iso(value) -> str | None:
        return value.isoformat() if value is not None else None

    values = request_values(request)
    return {
        "id": str(request.pk),
        "reference": request.reference,
        "type": request.type,
        "channel": request.channel,
        "language": request.language,
        "status": request.status,
        "received_on": iso(request.received_on),
        "received_at": iso(request.received_at),
        "due_on": iso(request.due_on),
        "overdue": is_overdue(request, today),
        "person_id": str(request.person_id) if request.person_id else None,
        "verification": request.verification,
        "verified": request.verified_at is not None,
        "verified_at": iso(request.verified_at),
        "extension_months": request.extension_months,
        "extension_notified_on": iso(request.extension_notified_on),
        "extension_notified_via": request.extension_notified_via,
        "assignee_id": request.assignee_id,
        "assignee": request.assignee.get_username() if request.assignee_id else None,
        "refusal_kind": request.refusal_kind,
        "response_channel": request.response_channel,
        "fee_cents": request.fee_cents,
        "closed_at": iso(request.closed_at),
        "created_at": iso(request.created_at),
        "updated_at": iso(request.updated_at),
        "values_erased": values is None,
        # The copy kept at the erasure said "scan pending"; the proof's record has the result.
        "erasure_evidence": evidence_current(request.erasure_evidence),
        **(values or dict.fromkeys(ENCRYPTED_FIELDS, "")),
        # Each mail about the request and where it stands (queued, sent, failed with the reply).
        "mails": request_mails(request, erased=values is None),
    }
