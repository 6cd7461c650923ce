"""Reading the outbox. A mail's recipient, subject and the server's reply are personal values:
whoever reads them through these functions is audited (ids only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import Action, audit_record
from rekisteri.keystore.services import KeyDestroyed
from rekisteri.outbox.models import PENDING_STATES, MailState, OutgoingMail, kind_label

OBJECT_TYPE = "mail"
MAX_PAGE_SIZE = 200


@dataclass
class MailPage:
    results: list[OutgoingMail]
    total: int
    limit: int
    offset: int


def mail_values(mail: OutgoingMail) -> dict[str, str] | None:
    """The mail's personal values, or None when its content no longer exists (erased or
    past its retention)."""
    if mail.content_destroyed_at is not None:
        return None
    try:
        return {
            "to_address": mail.to_address,
            "subject": mail.subject,
            "last_error": mail.last_error,
        }
    except KeyDestroyed:
        return None


def mail_as_dict(mail: OutgoingMail, values: dict[str, str] | None) -> dict[str, Any]:
    """A mail's delivery record as JSON-ready values; the personal values only when given."""

    def iso(value) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": str(mail.pk),
        "kind": mail.kind,
        "kind_label": kind_label(mail.kind),
        "state": mail.state,
        "state_label": str(MailState(mail.state).label),
        "attempts": mail.attempts,
        "created_at": iso(mail.created_at),
        "last_attempt_at": iso(mail.last_attempt_at),
        "next_attempt_at": iso(mail.next_attempt_at) if mail.is_pending else None,
        "sent_at": iso(mail.sent_at),
        "failed_at": iso(mail.failed_at),
        "delivered_via": mail.delivered_via,
        "smtp_reply_code": mail.last_error_code,
        "smtp_reply": values["last_error"] if values is not None else None,
        "to": values["to_address"] if values is not None else None,
        "resend_of": str(mail.resend_of_id) if mail.resend_of_id else None,
        "content_erased": values is None,
    }


def mails_about(about_type: str, about_id: Any) -> QuerySet[OutgoingMail]:
    """The mails about one object (e.g. a request), oldest first. Not audited by itself: the
    caller reads the object they belong to through its own audited selector."""
    mails = OutgoingMail.objects.filter(about_type=about_type, about_id=str(about_id))
    return mails.order_by("created_at", "id")


def mail_list(
    *,
    actor: Actor,
    state: str | None = None,
    limit: int = 50,
    offset: int = 0,
    purpose: str = "rights_and_obligations",
) -> MailPage:
    """A page of the outbox, newest first; the listing (which shows recipients) is audited."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    mails = OutgoingMail.objects.all()
    if state:
        mails = mails.filter(state=state)
    total = mails.count()
    results = list(mails.order_by("-created_at", "id")[offset : offset + limit])
    audit_record(
        actor=actor,
        action=Action.LIST,
        object_type=OBJECT_TYPE,
        object_ids=[mail.pk for mail in results],
        person_ids=sorted({str(mail.person_id) for mail in results if mail.person_id}),
        purpose=purpose,
        detail={"state": state or "", "results": len(results), "total": total},
    )
    return MailPage(results=results, total=total, limit=limit, offset=offset)


def mail_get(*, actor: Actor, mail_id: Any, purpose: str = "rights_and_obligations") -> OutgoingMail | None:
    """One mail; reading it (recipient, content) is audited as a view."""
    mail = OutgoingMail.objects.filter(pk=mail_id).first()
    if mail is not None:
        audit_record(
            actor=actor,
            action=Action.VIEW,
            object_type=OBJECT_TYPE,
            object_ids=[mail.pk],
            person_ids=[mail.person_id] if mail.person_id else [],
            purpose=purpose,
            detail={"kind": mail.kind, "state": mail.state},
        )
    return mail


def failed_mails() -> QuerySet[OutgoingMail]:
    """Mails given up, newest first (the privacy officer's dashboard; no values read)."""
    return OutgoingMail.objects.filter(state=MailState.FAILED).order_by("-created_at")


def waiting_mails() -> QuerySet[OutgoingMail]:
    """Mails not yet delivered: queued, or being retried while the server is unreachable."""
    return OutgoingMail.objects.filter(state__in=PENDING_STATES)
