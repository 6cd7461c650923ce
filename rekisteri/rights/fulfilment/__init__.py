"""Fulfilment of data-subject requests: one action by the privacy officer wherever the law
allows (section 8 of the notice; GDPR Art. 7, 15-21).

`request_fulfil` dispatches on the request's type. It needs a verified, open request; it
finds the person (linked, or the one person at the verified address), carries out the
right, records the decision, closes the request as fulfilled and queues the mail to the requester
in their language in the same transaction (the worker delivers it). Everything is audited with ids only.

- access (Art. 15): the package is built from the personal-data registry, stored encrypted
  under the request's key (RequestAnswer) and, when the request came electronically, a
  time-limited download link is mailed to the verified address.
- portability (Art. 20): the same for the data the person provided, JSON and CSV, where
  processing rests on consent or a contract; refused otherwise.
- rectification (Art. 16, 19): needs `changes`; before and after are recorded and the
  recipients to notify are listed in the decision and the mail.
- erasure (Art. 17): refused with reasons while an obligation to keep applies; otherwise
  person_erase, which runs outside any transaction.
- restriction (Art. 18): the person is marked restricted; restriction_lift ends it.
- objection (Art. 21): direct marketing stops at once and for good; an objection to
  legitimate-interest processing opens an ObjectionDecision and the request stays in
  progress until objection_decide.
- consent_withdrawal (Art. 7(3)): every consent ends now, with its time; history stays.

A request whose verified address matches nobody in the register is answered that no data
about the requester is held (Art. 15(1): the confirmation that none is processed).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import formats, translation
from django.utils.translation import gettext, gettext_lazy

from rekisteri.audit.actor import Actor
from rekisteri.errors import ServiceError
from rekisteri.privacy.erasure import erasure_check, owner_keys_destroy, person_erase
from rekisteri.privacy.models import LegalBasis, ProcessingBasis
from rekisteri.privacy.recipients import recipient_notifications_create
from rekisteri.rights.fulfilment.actions import (
    MARKETING,
    consent_withdraw,
    legitimate_interest_bases,
    marketing_objection_apply,
    objection_decide,
    objection_open,
    rectification_apply,
    restriction_apply,
    restriction_lift,
)
from rekisteri.rights.fulfilment.common import (
    ELECTRONIC_CHANNELS,
    NotApplicable,
    active_bases,
    check_actionable,
    lock_open,
    mail_requester,
    resolve_person,
)
from rekisteri.rights.fulfilment.packages import (
    FIELD_LABELS,
    access_package,
    access_package_html,
    answer_content,
    answer_store,
    portability_export,
)
from rekisteri.rights.models import AnswerKind, Channel, DataSubjectRequest, RefusalKind, RequestType, Status
from rekisteri.rights.services import (
    request_close_fulfilled,
    request_refuse,
    request_start,
    verification_link_create,
)

__all__ = [
    "NotApplicable",
    "access_package",
    "access_package_html",
    "answer_content",
    "consent_withdraw",
    "erasure_obligations",
    "marketing_objection_apply",
    "objection_decide",
    "portability_export",
    "rectification_apply",
    "request_fulfil",
    "restriction_apply",
    "restriction_lift",
]


def request_fulfil(
    *,
    actor: Actor,
    request: DataSubjectRequest,
    changes: dict[str, Any] | None = None,
    objection_to: Iterable[str] | None = None,
) -> DataSubjectRequest:
    """Carry out the right the request asks for, in one action; returns the request as stored.

    `changes` (rectification only): the corrected person fields, as for person_update.
    `objection_to` (objection only): the purpose slugs objected to; by default direct
    marketing and every purpose processed on legitimate interest.
    The request comes back fulfilled, refused (with reasons mailed, for an obligation to keep
    or when the right does not apply), or in progress (an objection awaiting its decision).
    Raises TransitionRefused when the request is closed or unverified, ValidationError when
    the person cannot be determined or the input is wrong; nothing is half-done then.
    """
    check_actionable(request)
    if request.type == RequestType.ERASURE:
        return _fulfil_erasure(actor, request)
    handler = _HANDLERS[request.type]
    with transaction.atomic():
        request = lock_open(request)
        person = resolve_person(request)
        if person is None:
            return _close_without_data(actor, request)
        try:
            # A savepoint: a refusal leaves nothing of the attempt behind.
            with transaction.atomic(), translation.override(request.language):
                return handler(actor, request, person, changes=changes, objection_to=objection_to)
        except NotApplicable as exc:
            with translation.override(request.language):
                reason = " ".join(exc.messages)  # the lazy message, in the requester's language
            return request_refuse(
                actor=actor, request=request, kind=RefusalKind.NOT_APPLICABLE, reason=reason
            )


def _close_without_data(actor: Actor, request: DataSubjectRequest) -> DataSubjectRequest:
    with translation.override(request.language):
        decision = gettext("No personal data concerning the requester was found in the register.")
    request = request_close_fulfilled(actor=actor, request=request, decision=decision)
    mail_requester(request, f"fulfilled_{request.type}", no_data=True)
    return request


def _close(
    actor: Actor,
    request: DataSubjectRequest,
    decision: str,
    *,
    destroy_after_sending: bool = False,
    **mail: Any,
) -> DataSubjectRequest:
    request = request_close_fulfilled(actor=actor, request=request, decision=decision)
    mail_requester(request, f"fulfilled_{request.type}", destroy_after_sending=destroy_after_sending, **mail)
    return request


def _deliver(actor: Actor, request: DataSubjectRequest, decision: str, **mail: Any) -> DataSubjectRequest:
    """Close an access or portability request; the answer goes the way the request came."""
    if request.channel in ELECTRONIC_CHANNELS and request.requester_email:
        # Art. 12(3): a request made electronically is answered electronically.
        token = verification_link_create(
            request=request, purpose="download", hours=settings.DOWNLOAD_LINK_HOURS
        )
        request.response_channel = Channel.EMAIL
        decision += " " + gettext("The download link goes to the verified address by e-mail.")
        request = request_close_fulfilled(actor=actor, request=request, decision=decision)
        mail_requester(
            request,
            f"fulfilled_{request.type}",
            link=f"{settings.PUBLIC_BASE_URL}/portal/download/{token}/",
            hours=settings.DOWNLOAD_LINK_HOURS,
            **mail,
        )
        return request
    request.response_channel = Channel.LETTER
    decision += " " + gettext("The answer is to be sent by post.")
    return request_close_fulfilled(actor=actor, request=request, decision=decision)


# --- One handler per right ----------------------------------------------------------------


def _access(actor, request, person, **options) -> DataSubjectRequest:
    package = access_package(actor=actor, person_id=person.pk)
    answer_store(
        request=request, kind=AnswerKind.ACCESS, content_json=json.dumps(package, ensure_ascii=False)
    )
    rows = sum(len(section["rows"]) for section in package["data"])
    decision = gettext("The access package was built from %(rows)d records.") % {"rows": rows}
    return _deliver(actor, request, decision)


def _portability(actor, request, person, **options) -> DataSubjectRequest:
    json_bytes, csv_bytes = portability_export(actor=actor, person_id=person.pk)
    answer_store(
        request=request,
        kind=AnswerKind.PORTABILITY,
        content_json=json_bytes.decode("utf-8"),
        content_csv=csv_bytes.decode("utf-8"),
    )
    decision = gettext("The data you provided was exported as JSON and CSV.")
    return _deliver(actor, request, decision)


def _rectification(actor, request, person, *, changes=None, **options) -> DataSubjectRequest:
    if not changes:
        raise ServiceError(
            gettext_lazy("Give the corrected values: a rectification needs them."),
            code="rectification.changes_missing",
            field="changes",
        )
    record = rectification_apply(actor=actor, request=request, changes=changes)
    fields = [str(FIELD_LABELS.get(name, name)) for name in record.fields]
    recipients = list(record.recipients)
    decision = gettext("Corrected: %(fields)s.") % {"fields": ", ".join(fields)}
    if recipients:
        decision += " " + gettext("Recipients to notify of the correction (GDPR Art. 19): %(names)s.") % {
            "names": ", ".join(recipients)
        }
    else:
        decision += " " + gettext("The data had not been disclosed to any recipient.")
    return _close(actor, request, decision, fields=fields, recipients=recipients)


def _restriction(actor, request, person, **options) -> DataSubjectRequest:
    reason = gettext("Restricted at the data subject's request %(reference)s (GDPR Art. 18).") % {
        "reference": request.reference
    }
    if request.details:
        reason = f"{reason}\n{request.details}"
    restriction_apply(actor=actor, person=person, reason=reason[:2000], request=request)
    decision = gettext(
        "Processing of the data is restricted: it is only stored until the restriction is lifted."
    )
    return _close(actor, request, decision)


def _objection(actor, request, person, *, objection_to=None, **options) -> DataSubjectRequest:
    wanted = None if objection_to is None else set(objection_to)
    marketing = wanted is None or MARKETING in wanted
    # Art. 21(1) concerns processing based on legitimate interest only.
    bases = legitimate_interest_bases(person.pk, None if wanted is None else wanted - {MARKETING})
    if not marketing and not bases:
        raise NotApplicable(
            gettext_lazy(
                "The right to object concerns processing based on legitimate interest or for direct "
                "marketing (GDPR Art. 21); the processing you objected to rests on another basis."
            ),
            code="objection.not_applicable",
        )
    if marketing:
        marketing_objection_apply(actor=actor, person=person)
    if bases:
        objection_open(actor=actor, request=request, person=person, bases=bases)
        return DataSubjectRequest.objects.get(pk=request.pk)
    decision = gettext("Direct marketing to the person has stopped for good (GDPR Art. 21(3)).")
    return _close(actor, request, decision, marketing_stopped=True, outcome=None)


def _consent_withdrawal(actor, request, person, **options) -> DataSubjectRequest:
    withdrawn = consent_withdraw(actor=actor, person=person)
    purposes = [basis.purpose.name for basis in withdrawn]
    if purposes:
        decision = gettext("Consent withdrawn for: %(purposes)s.") % {"purposes": ", ".join(purposes)}
    else:
        decision = gettext("No processing based on consent was recorded.")
    at = withdrawn[0].withdrawn_at if withdrawn else None
    return _close(
        actor,
        request,
        decision,
        purposes=purposes,
        withdrawn_at=formats.date_format(at, "SHORT_DATETIME_FORMAT") if at else "",
    )


_HANDLERS: dict[str, Callable[..., DataSubjectRequest]] = {
    RequestType.ACCESS: _access,
    RequestType.PORTABILITY: _portability,
    RequestType.RECTIFICATION: _rectification,
    RequestType.RESTRICTION: _restriction,
    RequestType.OBJECTION: _objection,
    RequestType.CONSENT_WITHDRAWAL: _consent_withdrawal,
}


# --- Erasure (Art. 17) --------------------------------------------------------------------


def erasure_obligations(person_id: Any) -> list[ProcessingBasis]:
    """Art. 17(3)(b): the bases that oblige the controller to keep the data today.

    A legal obligation (accounting and the like) that is open or ends in the future, or a
    contract still in force (its contract and accounting records).
    """
    return [
        basis
        for basis in active_bases(person_id)
        if basis.basis in (LegalBasis.LEGAL_OBLIGATION, LegalBasis.CONTRACT)
    ]


def _obligation_reason(bases: list[ProcessingBasis]) -> str:
    lines = [
        gettext(
            "We cannot erase your data yet: we are obliged to keep it (GDPR Art. 17(3)) for the "
            "following purposes."
        )
    ]
    for basis in bases:
        until = (
            formats.date_format(basis.valid_until, "SHORT_DATE_FORMAT")
            if basis.valid_until
            else gettext("until further notice")
        )
        lines.append(f"- {basis.purpose.name}: {basis.get_basis_display()} ({until})")
    lines.append(gettext("The data will be erased when the obligation ends. You may ask again then."))
    return "\n".join(lines)


def _fulfil_erasure(actor: Actor, request: DataSubjectRequest) -> DataSubjectRequest:
    # person_erase commits to the key store on its own and refuses to run inside a
    # transaction, so erasure is done in steps: check, erase, then close the request.
    with transaction.atomic():
        request = lock_open(request)
        person = resolve_person(request)
        if person is None:
            return _close_without_data(actor, request)
        obligations = erasure_obligations(person.pk)
        if obligations:
            with translation.override(request.language):
                reason = _obligation_reason(obligations)
            return request_refuse(
                actor=actor, request=request, kind=RefusalKind.OBLIGATION_TO_KEEP, reason=reason
            )
        if request.status == Status.NEW:
            # Should the process die after the erasure, the request shows it was under way.
            request = request_start(actor=actor, request=request)
    erasure_check(reason="erasure_request", request_ref=request.reference)
    # Art. 19: the recipients are read from the disclosure log before it goes with the person.
    recipient_notifications_create(
        actor=actor, person_id=person.pk, event="erasure", request_ref=request.reference
    )
    # The request's own key survives the erasure until its confirmation has been mailed.
    evidence = person_erase(
        actor=actor,
        person_id=person.pk,
        reason="erasure_request",
        request_ref=request.reference,
        keep_keys_of=[request.pk],
    )
    with transaction.atomic():
        request = lock_open(request)
        # The proof stays with the request record (it outlives the person; ids and counts).
        request.erasure_evidence = evidence
        request.save(update_fields=["erasure_evidence"])
        with translation.override(request.language):
            decision = gettext(
                "All personal data of the person was erased; the encryption key was destroyed."
            )
        # Its mail keeps the address only until it has gone (Art. 17).
        request = _close(actor, request, decision, destroy_after_sending=True)
    # The confirmation is queued above under its own key: now nothing of the person stays
    # readable in the request either.
    owner_keys_destroy(owner_ids=[request.pk], reason="erasure_request", request_ref=request.reference)
    return request
