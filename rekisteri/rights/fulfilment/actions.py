"""Carrying out rectification, restriction, objection and withdrawal of consent.

Each function writes in the caller's transaction (request_fulfil opens it) or its own, and
audits with ids, codes and field names only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.errors import ServiceError, choose_one, too_long
from rekisteri.keystore.services import cipher_for
from rekisteri.people.models import Person
from rekisteri.people.restriction import processing_exempt
from rekisteri.privacy.disclosure import disclosure_recipients
from rekisteri.privacy.models import LegalBasis, ProcessingBasis, Rectification
from rekisteri.privacy.recipients import recipient_notifications_create
from rekisteri.rights.fulfilment.common import active_bases, audit, end_basis, lock_open, mail_requester
from rekisteri.rights.models import (
    DataSubjectRequest,
    ObjectionDecision,
    ObjectionStatus,
    RequestType,
    Status,
)
from rekisteri.rights.services import TransitionRefused, request_close_fulfilled, request_start

MARKETING = "direct_marketing"


# --- Rectification (Art. 16, 19) ----------------------------------------------------------


def _snapshot(person: Person, names: Iterable[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in names:
        if name == "organization":
            organization = person.organization
            values[name] = {"id": organization.pk, "name": organization.name} if organization else None
        elif name == "categories":
            values[name] = sorted(person.categories.values_list("category", flat=True))
        elif hasattr(Person, name):
            values[name] = getattr(person, name)
    return values


def rectification_apply(
    *, actor: Actor, request: DataSubjectRequest, changes: dict[str, Any]
) -> Rectification:
    """Correct the person's data (Art. 16) through person_update and record before and after.

    The values before and after are encrypted under the person's key; the audit event names
    the fields only. The recipients who received the data (Art. 19) are listed on the
    returned record (`recipients`, names) and in `recipient_details` (with categories).
    Allowed while the person is restricted: the person's own request is an Art. 18(2) ground.
    Does not close the request: request_fulfil(changes=...) does that and mails the requester.
    """
    from rekisteri.people.services import PERSON_FIELDS, person_update

    if not changes:
        raise ServiceError(
            _("Give the corrected values."), code="rectification.changes_required", field="changes"
        )
    if request.person_id is None:
        raise ServiceError(
            _("Link the request to the person it concerns first."),
            code="request.person_required",
            field="person",
        )
    names = [name for name in changes if name in (*PERSON_FIELDS, "categories")]
    with transaction.atomic():
        person = Person.objects.select_related("organization").get(pk=request.person_id)
        before = _snapshot(person, names)
        with processing_exempt("data_subject_request"):
            # Art. 16: the person's own correction is not refused because another record
            # has the same address; staff merge such a duplicate (rekisteri.people.merge).
            person = person_update(actor=actor, person=person, allow_duplicate=True, **changes)
        after = _snapshot(person, names)
        changed = [name for name in names if before[name] != after[name]]
        if not changed:
            raise ServiceError(
                _(
                    "These are the values already recorded. If the data is accurate, "
                    "refuse the request with reasons."
                ),
                code="rectification.unchanged",
                field="changes",
            )
        recipients = disclosure_recipients(person.pk)
        record = Rectification.objects.create(
            person=person,
            request=request,
            fields=changed,
            before=json.dumps({name: before[name] for name in changed}, ensure_ascii=False),
            after=json.dumps({name: after[name] for name in changed}, ensure_ascii=False),
            recipients=[item["recipient"] for item in recipients],
            rectified_by=actor.recorded_user,
        )
        # Art. 19: a task per recipient, in the rectification's own transaction.
        recipient_notifications_create(
            actor=actor,
            person_id=person.pk,
            event="rectification",
            request_ref=request.reference if request is not None else "",
        )
        audit(
            actor,
            "rectify",
            "rectification",
            [record.pk],
            [person.pk],
            request=str(request.pk),
            fields=changed,
            recipients=len(recipients),
        )
    record.recipient_details = recipients
    return record


# --- Restriction (Art. 18) ----------------------------------------------------------------


def _reason(reason: str, limit: int = 2000) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(
            _("Give the reasons; they are kept with the person's record."),
            code="restriction.reason_required",
            field="reason",
        )
    if len(reason) > limit:
        raise ValidationError({"reason": too_long(limit)})
    return reason


def restriction_apply(
    *, actor: Actor, person: Person, reason: str, request: DataSubjectRequest | None = None
) -> Person:
    """Mark the person restricted (Art. 18): from now on their data is only stored.

    A second restriction keeps the first time and adds its reasons. Returns the fresh person.
    """
    reason = _reason(reason)
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        if person.restricted_at is None:
            person.restricted_at = timezone.now()
            person.restriction_reason = reason
        else:
            person.restriction_reason = f"{person.restriction_reason}\n{reason}".strip()[:2000]
        person.save(update_fields=["restricted_at", "restriction_reason"])
        recipient_notifications_create(  # Art. 19
            actor=actor,
            person_id=person.pk,
            event="restriction",
            request_ref=request.reference if request is not None else "",
        )
        audit(
            actor,
            "restrict",
            "person",
            [person.pk],
            [person.pk],
            request=str(request.pk) if request is not None else None,
        )
    return person


def restriction_lift(*, actor: Actor, person: Person, reason: str) -> Person:
    """Lift a restriction with reasons. Art. 18(3): the person who obtained it is told.

    The mail goes to the requester of the person's latest restriction request, or to the
    person's own address, in the request's language. Returns the fresh person.
    """
    reason = _reason(reason)
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        if person.restricted_at is None:
            raise ServiceError(
                _("The person's processing is not restricted."),
                code="restriction.not_restricted",
                field="restriction",
            )
        person.restricted_at = None
        person.restriction_lifted_at = timezone.now()
        person.restriction_lift_reason = reason
        person.save(update_fields=["restricted_at", "restriction_lifted_at", "restriction_lift_reason"])
        audit(actor, "restriction_lift", "person", [person.pk], [person.pk])
        origin = (
            DataSubjectRequest.objects.filter(person=person, type=RequestType.RESTRICTION)
            .order_by("-received_on", "-created_at")
            .first()
        )
        if origin is not None and origin.requester_email:
            mail_requester(origin, "restriction_lifted", reason=reason)
        elif person.email:
            from rekisteri.rights.mail import queue_templated_mail

            queue_templated_mail(
                to=person.email,
                template="restriction_lifted",
                context={"request": None, "reason": reason},
                person_id=person.pk,
                created_by=actor.user,
            )
    return person


# --- Objection (Art. 21) ------------------------------------------------------------------


def marketing_objection_apply(*, actor: Actor, person: Person) -> list[ProcessingBasis]:
    """Art. 21(2)-(3): direct marketing stops at once and for good.

    Sets Person.marketing_objection_at (kept if already set) and ends every direct-marketing
    basis today, whatever its legal basis; basis_set refuses to add one again. Returns the
    bases ended.
    """
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if locked.marketing_objection_at is None:
            locked.marketing_objection_at = timezone.now()
            locked.save(update_fields=["marketing_objection_at"])
        person.marketing_objection_at = locked.marketing_objection_at
        ended = [basis for basis in active_bases(person.pk) if basis.purpose.slug == MARKETING]
        for basis in ended:
            end_basis(basis)
        audit(
            actor,
            "marketing_objection",
            "person",
            [person.pk],
            [person.pk],
            bases_ended=[str(basis.pk) for basis in ended],
        )
    return ended


def legitimate_interest_bases(person_id: Any, purposes: Iterable[str] | None = None) -> list[ProcessingBasis]:
    """The person's bases in force that rest on legitimate interest (other than marketing)."""
    wanted = set(purposes) if purposes is not None else None
    return [
        basis
        for basis in active_bases(person_id)
        if basis.basis == LegalBasis.LEGITIMATE_INTEREST
        and basis.purpose.slug != MARKETING
        and (wanted is None or basis.purpose.slug in wanted)
    ]


OUTCOMES = (ObjectionStatus.COMPELLING_GROUNDS, ObjectionStatus.PROCESSING_STOPPED)


def objection_decide(
    *, actor: Actor, decision: ObjectionDecision, outcome: str, reasons: str
) -> ObjectionDecision:
    """The privacy officer's decision on an Art. 21(1) objection, with reasons.

    "compelling_grounds": compelling legitimate grounds override the person's interests
    (or legal claims); processing continues. "processing_stopped": every legitimate-interest
    basis of the purposes concerned ends today. Either way the request is closed as fulfilled
    with the reasons, and the requester gets them with the complaint route.
    """
    if outcome not in OUTCOMES:
        raise ValidationError({"outcome": choose_one(OUTCOMES)})
    reasons = (reasons or "").strip()
    if not reasons:
        raise ServiceError(
            _("Give the reasons; they are sent to the requester."),
            code="objection.reasons_required",
            field="reasons",
        )
    if len(reasons) > 5000:
        raise ValidationError({"reasons": too_long(5000)})
    with transaction.atomic():
        decision = ObjectionDecision.objects.select_for_update().get(pk=decision.pk)
        if decision.status != ObjectionStatus.PENDING:
            raise TransitionRefused(
                {
                    "status": ServiceError(
                        _("The objection has already been decided."), code="objection.decided"
                    )
                }
            )
        request = lock_open(decision.request)
        ended: list[ProcessingBasis] = []
        if outcome == ObjectionStatus.PROCESSING_STOPPED and decision.person_id:
            ended = legitimate_interest_bases(decision.person_id, decision.purposes)
            for basis in ended:
                end_basis(basis)
        cipher_for(request.pk, create=True)  # the reasons go under the request's own key
        decision.status = outcome
        decision.reasons = reasons
        decision.decided_by = actor.recorded_user
        decision.decided_at = timezone.now()
        decision.save()
        audit(
            actor,
            "objection_decide",
            "objection_decision",
            [decision.pk],
            [decision.person_id],
            outcome=outcome,
            bases_ended=[str(basis.pk) for basis in ended],
        )
        request = request_close_fulfilled(actor=actor, request=request, decision=reasons)
        marketing = (
            decision.person_id is not None
            and Person.objects.filter(pk=decision.person_id, marketing_objection_at__isnull=False).exists()
        )
        mail_requester(
            request,
            "fulfilled_objection",
            outcome=outcome,
            reasons=reasons,
            purposes=_purpose_names(decision.purposes, request.language),
            marketing_stopped=marketing,
        )
    return decision


def objection_open(
    *, actor: Actor, request: DataSubjectRequest, person: Person, bases: list[ProcessingBasis]
) -> ObjectionDecision:
    """Put an Art. 21(1) objection before the privacy officer; the request stays in progress."""
    decision = ObjectionDecision.objects.create(
        request=request, person=person, purposes=sorted({basis.purpose.slug for basis in bases})
    )
    if request.status == Status.NEW:
        request_start(actor=actor, request=request)
    audit(
        actor,
        "objection",
        "objection_decision",
        [decision.pk],
        [person.pk],
        request=str(request.pk),
        purposes=decision.purposes,
    )
    return decision


def _purpose_names(slugs: Iterable[str], language: str) -> list[str]:
    from rekisteri.privacy.models import Purpose

    names = {p.slug: (p.name_en if language == "en" else p.name_fi) for p in Purpose.objects.all()}
    return [names.get(slug, slug) for slug in slugs]


# --- Withdrawal of consent (Art. 7(3)) ----------------------------------------------------


# Consents kept by the apps above this one (newsletter and tracking consents), withdrawn with
# the bases: each app installs a hook(actor, person) when ready.
_consent_withdrawal_hooks: list = []


def consent_withdrawal_hook_install(hook) -> None:
    if hook not in _consent_withdrawal_hooks:
        _consent_withdrawal_hooks.append(hook)


def consent_withdraw(*, actor: Actor, person: Person) -> list[ProcessingBasis]:
    """End every consent-based basis now, recording the time of the withdrawal, and every
    consent the other apps keep (newsletters, tracking).

    The rows stay: processing before the withdrawal remains lawful and keeps its record.
    Allowed while restricted (it only reduces processing). Returns the bases withdrawn.
    """
    with transaction.atomic():
        withdrawn = [basis for basis in active_bases(person.pk) if basis.basis == LegalBasis.CONSENT]
        for basis in withdrawn:
            end_basis(basis, withdrawn=True)
        for hook in _consent_withdrawal_hooks:
            hook(actor, person)
        audit(
            actor,
            "consent_withdraw",
            "processing_basis",
            [basis.pk for basis in withdrawn],
            [person.pk],
            purposes=[basis.purpose.slug for basis in withdrawn],
        )
    return withdrawn
