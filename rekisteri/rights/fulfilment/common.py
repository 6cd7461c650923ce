"""What every fulfilment shares: the request checks, the person, the audit event, the mail."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.errors import ServiceError
from rekisteri.people.models import Person
from rekisteri.privacy.models import ProcessingBasis
from rekisteri.rights.mail import request_mails_follow
from rekisteri.rights.models import Channel, DataSubjectRequest
from rekisteri.rights.services import VERIFIED, TransitionRefused, lock_open_request, request_closed

PURPOSE = "rights_and_obligations"
# Art. 12(3): a request made electronically is answered electronically.
ELECTRONIC_CHANNELS = {Channel.EMAIL, Channel.PORTAL}


class NotApplicable(ServiceError):
    """The conditions of the right are not met; request_fulfil refuses with this reason, read
    in the requester's language."""


def audit(
    actor: Actor,
    action: str,
    object_type: str,
    object_ids: Iterable[Any],
    person_ids: Iterable[Any] = (),
    **detail: Any,
) -> None:
    """One audit event of a fulfilment: ids, codes and counts only, never a value."""
    audit_record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_ids=list(object_ids),
        person_ids=[pid for pid in person_ids if pid],
        purpose=PURPOSE,
        detail=detail,
    )


def check_actionable(request: DataSubjectRequest) -> None:
    """The request is open and its requester's identity verified (section 8: we must identify you)."""
    if not request.is_open:
        raise TransitionRefused({"status": request_closed()})
    if request.verification not in VERIFIED:
        raise TransitionRefused(
            {
                "verification": ServiceError(
                    _("The requester's identity must be verified before the request is acted on."),
                    code="request.not_verified",
                )
            }
        )


def lock_open(request: DataSubjectRequest) -> DataSubjectRequest:
    """The request re-read under its row lock, checked open and verified (inside a transaction)."""
    fresh = lock_open_request(request)
    check_actionable(fresh)
    return fresh


def resolve_person(request: DataSubjectRequest) -> Person | None:
    """The person the request concerns; None when the register holds nobody at its address.

    A request that came without an address (phone, letter) must be linked to its person by
    staff first: "not found" could not be told from "not looked for".
    """
    if request.person_id:
        person = Person.objects.select_related("organization").filter(pk=request.person_id).first()
        if person is not None:
            return person
    if not request.requester_email:
        raise ServiceError(
            _("Link the request to the person it concerns first: it has no e-mail address to match."),
            code="request.person_unlinked",
            field="person",
        )
    from rekisteri.people.selectors import person_ids_matching_email

    matches = person_ids_matching_email(request.requester_email)
    if len(matches) > 1:
        raise ServiceError(
            _("Several persons in the register have this address; link the request to one of them."),
            code="request.person_ambiguous",
            field="person",
        )
    if not matches:
        return None
    # The address was verified: the person behind it may have been added after the request.
    DataSubjectRequest.objects.filter(pk=request.pk).update(person_id=matches[0])
    request.person_id = matches[0]
    request_mails_follow(request)
    return Person.objects.select_related("organization").get(pk=matches[0])


def mail_requester(
    request: DataSubjectRequest, template: str, *, destroy_after_sending: bool = False, **context: Any
) -> None:
    """Queue a mail to the requester in their language, in the caller's transaction (no
    address: no mail). Rendered now: after an erasure the request's own key is destroyed
    before the worker sends the mail, which keeps its content under its own key (and, with
    `destroy_after_sending`, only until it has gone)."""
    if not request.requester_email:
        return
    from rekisteri.rights.mail import queue_templated_mail

    queue_templated_mail(
        to=request.requester_email,
        template=template,
        context={"request": request, **context},
        language=request.language,
        request=request,
        destroy_after_sending=destroy_after_sending,
    )


def today() -> date:
    return timezone.localdate()


def active_bases(person_id: Any) -> QuerySet[ProcessingBasis]:
    """Bases in force today: not withdrawn and not ended before today."""
    return (
        ProcessingBasis.objects.filter(person_id=person_id, withdrawn_at__isnull=True)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today()))
        .select_related("purpose")
    )


def end_basis(basis: ProcessingBasis, *, withdrawn: bool = False) -> None:
    """End a basis today; the row stays, so the processing before today keeps its record."""
    day = today()
    basis.valid_until = day
    # A basis that was to start later never applied: it ends before it starts.
    basis.valid_from = min(basis.valid_from, day)
    fields = ["valid_until", "valid_from"]
    if withdrawn:
        basis.withdrawn_at = timezone.now()
        fields.append("withdrawn_at")
    basis.save(update_fields=fields)
