"""A student's own results and certificates through the public portal (issue 12, section 4:
"a student sees their own results and certificates through the portal after verification").

Verified the portal's way (rekisteri.rights.services.portal_submit): the student gives an
e-mail address; a single-use link goes to that address, and only if exactly one person in
the register has it and has taken part in training; otherwise a mail says there is nothing
to show. The page answers the same either way. Confirming the link (a POST: mail scanners
only GET) opens a session of SESSION_MINUTES in which the student reads their enrollments,
grades, completion dates and certificates and downloads the certificates' PDFs. Every read is
audited as the data subject's own.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.errors import ServiceError
from rekisteri.lib.normalize import NormalizationError, normalize_email
from rekisteri.outbox.services import mail_enqueue, render_mail
from rekisteri.people.models import Person
from rekisteri.people.selectors import person_ids_matching_email
from rekisteri.rights.services import portal_throttle
from rekisteri.training.models import Certificate, Enrollment, PortalLink, Result

SESSION_MINUTES = 30
PURPOSE = "training"
OBJECT_TYPE = "training_results"


class PortalLinkInvalid(Exception):
    """Unknown, used or expired (the portal does not tell which)."""


def portal_actor() -> Actor:
    # The data subject themselves, through the portal (the events say so: detail "by").
    return Actor.system("portal", origin="portal")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _link_create(person_id: Any, kind: str, lifetime: timedelta) -> str:
    token = secrets.token_urlsafe(32)
    PortalLink.objects.create(
        person_id=person_id, token_hash=_hash(token), kind=kind, expires_at=timezone.now() + lifetime
    )
    return token


def _link(token: str, kind: str, *, consume: bool) -> PortalLink:
    if not token or len(token) > 100:
        raise PortalLinkInvalid()
    with transaction.atomic():
        link = (
            PortalLink.objects.select_for_update()
            .filter(token_hash=_hash(token), kind=kind)
            .select_related("person")
            .first()
        )
        if link is None or link.used_at is not None or link.expires_at <= timezone.now():
            raise PortalLinkInvalid()
        if consume:
            link.used_at = timezone.now()
            link.save(update_fields=["used_at"])
    return link


def results_link_request(*, email: str, language: str = "fi", client: str = "") -> None:
    """Mail a link to the student's own results to `email`, if exactly one person in the
    register has that address and has enrolled in a course; otherwise a mail saying there
    is nothing to show. Raises ValidationError (malformed address) or PortalThrottled."""
    try:
        address = normalize_email(email)
    except NormalizationError:
        raise ServiceError(
            _("Enter a valid e-mail address."), code="email.invalid_short", field="email"
        ) from None
    portal_throttle(address=address, client=client)
    matches = person_ids_matching_email(address)
    person_id = matches[0] if len(matches) == 1 else None
    found = person_id is not None and Enrollment.objects.filter(person_id=person_id).exists()
    context: dict[str, Any] = {"public_url": settings.PUBLIC_BASE_URL, "hours": settings.PORTAL_LINK_HOURS}
    with transaction.atomic():
        if found:
            token = _link_create(
                person_id, PortalLink.Kind.VERIFY, timedelta(hours=settings.PORTAL_LINK_HOURS)
            )
            context["link"] = f"{settings.PUBLIC_BASE_URL}/portal/training/verify/{token}/"
            template, kind = "training/mail/results_link", "training_results_link"
        else:
            template, kind = "training/mail/results_none", "training_results_none"
        subject, text, html = render_mail(template, context, language)
        mail_enqueue(
            to=address,
            subject=subject,
            text=text,
            html=html,
            kind=kind,
            language=language,
            purpose=PURPOSE,
            person_id=person_id,
            # The link opens the student's results: not kept once the mail has gone.
            destroy_after_sending=True,
        )
        if found:
            audit_record(
                actor=portal_actor(),
                action="create",
                object_type="training_portal_link",
                person_ids=[person_id],
                purpose=PURPOSE,
                detail={"by": "data_subject"},
            )


def results_link_check(*, token: str) -> None:
    """The mailed link is still good (GET shows the confirm button); PortalLinkInvalid otherwise."""
    _link(token, PortalLink.Kind.VERIFY, consume=False)


def results_link_confirm(*, token: str) -> str:
    """The student confirmed the mailed link: it is used up, and a session token is returned."""
    link = _link(token, PortalLink.Kind.VERIFY, consume=True)
    return _link_create(link.person_id, PortalLink.Kind.SESSION, timedelta(minutes=SESSION_MINUTES))


def results_person(*, token: str) -> Person:
    """The person of an open session; PortalLinkInvalid when it is unknown or over."""
    return _link(token, PortalLink.Kind.SESSION, consume=False).person


@dataclass
class OwnResult:
    course_code: str
    course_name_fi: str
    course_name_en: str
    starts_on: date
    ends_on: date
    status: str
    status_label: str
    grade: str
    completed_on: date | None
    passed: bool | None
    certificate_id: Any
    certificate_number: str
    certificate_issued_on: date | None
    certificate_valid: bool


def own_results(*, person: Person) -> list[OwnResult]:
    """The person's enrollments with their grades, completion dates and certificates; the
    read is audited as the data subject's own."""
    enrollments = list(
        Enrollment.objects.filter(person=person)
        .select_related("instance__course")
        .order_by("-instance__starts_on", "enrolled_at")
    )
    ids = [enrollment.pk for enrollment in enrollments]
    results = {result.enrollment_id: result for result in Result.objects.filter(enrollment_id__in=ids)}
    certificates = {
        certificate.enrollment_id: certificate
        for certificate in Certificate.objects.filter(enrollment_id__in=ids)
    }
    rows = []
    for enrollment in enrollments:
        course = enrollment.instance.course
        result = results.get(enrollment.pk)
        certificate = certificates.get(enrollment.pk)
        rows.append(
            OwnResult(
                course_code=course.code,
                course_name_fi=course.name_fi,
                course_name_en=course.name_en,
                starts_on=enrollment.instance.starts_on,
                ends_on=enrollment.instance.ends_on,
                status=enrollment.status,
                status_label=str(enrollment.get_status_display()),
                grade=result.grade if result else "",
                completed_on=date.fromisoformat(result.completed_on) if result else None,
                passed=result.passed if result else None,
                certificate_id=certificate.pk if certificate else None,
                certificate_number=certificate.number if certificate else "",
                certificate_issued_on=certificate.issued_on if certificate else None,
                certificate_valid=certificate.is_valid if certificate else False,
            )
        )
    audit_record(
        actor=portal_actor(),
        action="view",
        object_type=OBJECT_TYPE,
        object_ids=ids,
        person_ids=[person.pk],
        purpose=PURPOSE,
        detail={"by": "data_subject", "rows": len(rows)},
    )
    return rows


def own_certificate(*, person: Person, certificate_id: Any) -> Certificate | None:
    """One of the person's own certificates (None for anyone else's)."""
    return (
        Certificate.objects.filter(pk=certificate_id, person=person, revoked_at__isnull=True)
        .select_related("enrollment__instance__course__company", "enrollment__person")
        .first()
    )
