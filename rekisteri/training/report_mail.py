"""Section 6: the training report mailed to the customer organization's contact person.

The report goes as an attachment through the outbox (rekisteri.outbox), queued in the same
transaction as the disclosure log of every person in it: either both are written or
neither. The recipient must be a contact of that organization (a customer representative
linked to it); anyone else is refused, as the notice allows this disclosure only to the
organization under which the students attended.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.errors import ServiceError, choose_one
from rekisteri.organizations.models import Organization
from rekisteri.outbox.models import OutgoingMail
from rekisteri.outbox.services import Attachment, mail_enqueue, render_mail
from rekisteri.people.models import Person, PersonCategory
from rekisteri.people.restriction import restriction_check
from rekisteri.training.reports import PURPOSE, DisclosureRefused, report_build, report_disclosures_record

MAIL_FORMATS = ("pdf", "csv")
MAIL_KIND = "training_report"
LANGUAGES = ("fi", "en")


@dataclass
class SentReport:
    mail: OutgoingMail
    filename: str
    persons: int
    rows: int


def report_contacts(organization: Organization):
    """The persons who may receive the organization's training report: its customer
    representatives (the address is checked when sending)."""
    return Person.objects.filter(
        organization=organization,
        categories__category=PersonCategory.Category.CUSTOMER_REPRESENTATIVE,
        restricted_at__isnull=True,
    ).distinct()


def report_contact_check(*, organization: Organization, person: Person) -> None:
    """DisclosureRefused unless `person` is a contact of `organization` with an address."""
    if not report_contacts(organization).filter(pk=person.pk).exists():
        raise DisclosureRefused(
            {
                "to_person_id": ServiceError(
                    _(
                        "The training report goes only to a contact person of the organization "
                        "under which the students attended (privacy notice, section 6): choose a customer "
                        "representative of this organization."
                    ),
                    code="training_report.not_a_contact",
                )
            }
        )
    if not person.email:
        raise ServiceError(
            _("The contact person has no e-mail address."),
            code="training_report.contact_without_email",
            field="to_person_id",
        )


def training_report_send(
    *,
    actor: Actor,
    organization: Organization,
    to_person: Person,
    format: str = "pdf",
    language: str = "fi",
) -> SentReport:
    """Mail the organization's training report (PDF or CSV attached) to its contact person
    and log every person in it as disclosed to the organization, in one transaction.

    The outbox keeps the file only until it is delivered (destroy_after_sending): the
    register's copy of a report is the data it was made from, not a file in a mail queue.
    """
    if format not in MAIL_FORMATS:
        raise ValidationError({"format": choose_one(MAIL_FORMATS)})
    if language not in LANGUAGES:
        raise ValidationError({"language": choose_one(LANGUAGES)})
    restriction_check(to_person)  # Art. 18: the contact's own address is not used meanwhile
    report_contact_check(organization=organization, person=to_person)
    report, person_ids = report_build(actor=actor, organization=organization, format=format)
    if not person_ids:
        raise ServiceError(
            _("The organization has nobody in its training report."),
            code="training_report.empty",
            field="organization",
        )
    context: dict[str, Any] = {
        "organization": organization,
        "persons": report.persons,
        "rows": report.rows,
        "filename": report.filename,
    }
    subject, text, html = render_mail("training/mail/report", context, language)
    user = actor.recorded_user
    with transaction.atomic():
        mail = mail_enqueue(
            to=to_person.email,
            subject=subject,
            text=text,
            html=html,
            kind=MAIL_KIND,
            language=language,
            purpose=PURPOSE,
            about=("organization", organization.pk),
            person_id=to_person.pk,
            created_by=user,
            destroy_after_sending=True,
            attachments=[Attachment(report.filename, report.content, report.content_type)],
        )
        report_disclosures_record(
            actor=actor,
            organization=organization,
            report=report,
            person_ids=person_ids,
            format=format,
            via="mail",
            mail=str(mail.pk),
        )
        audit_record(
            actor=actor,
            action="create",
            object_type="mail",
            object_ids=[mail.pk],
            person_ids=[to_person.pk],
            purpose=PURPOSE,
            detail={"kind": MAIL_KIND, "organization": organization.pk, "persons": report.persons},
        )
    return SentReport(mail=mail, filename=report.filename, persons=report.persons, rows=report.rows)
