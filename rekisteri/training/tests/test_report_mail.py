"""Section 6: the training report mailed to the customer organization's contact person
through the outbox; logged per person like the download; refused for anyone else."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from rekisteri.api.tests.conftest import assert_error
from rekisteri.audit.models import AuditEvent
from rekisteri.organizations.services import organization_create
from rekisteri.outbox.models import MailAttachment, OutgoingMail
from rekisteri.outbox.tests.helpers import deliver_outbox
from rekisteri.people.services import person_create
from rekisteri.privacy.models import Disclosure
from rekisteri.training.services import enrollment_create, result_set
from rekisteri.training.tests.pdftext import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def participants(system_actor, instance, other_instance, organization):
    """Two students under `organization` (one in another trainer's instance), one under another."""
    other_org = organization_create(actor=system_actor, name="Muu Oy", business_id="0245974-7", city="Turku")
    ours = [
        person_create(
            actor=system_actor, first_name="Łukasz", last_name="Meikäläinen", organization=organization
        ),
        person_create(actor=system_actor, first_name="Pekka", last_name="Toinen", organization=organization),
    ]
    theirs = person_create(
        actor=system_actor, first_name="Olli", last_name="Muukalainen", organization=other_org
    )
    first = enrollment_create(
        actor=system_actor, instance=instance, person=ours[0], organization=organization
    )
    result_set(
        actor=system_actor, enrollment=first, grade="pass", completed_on=date(2026, 11, 3), passed=True
    )
    enrollment_create(actor=system_actor, instance=other_instance, person=ours[1], organization=organization)
    enrollment_create(actor=system_actor, instance=instance, person=theirs, organization=other_org)
    return other_org, ours, theirs


def _send(api, organization, to_person, **body):
    return api.post(
        f"/organizations/{organization.pk}/training-report/send", {"to_person_id": str(to_person.pk), **body}
    )


def test_the_report_goes_to_the_contact_as_an_attachment_and_each_person_is_logged(
    api_as, cast, organization, person, participants
):
    _, ours, theirs = participants
    response = _send(api_as(cast.privacy_officer), organization, person, format="csv")

    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["persons"], body["rows"], body["to_person_id"]) == (2, 2, str(person.pk))
    mail = OutgoingMail.objects.get(pk=body["mail_id"])
    assert (mail.kind, mail.person_id, mail.purpose, mail.destroy_after_sending) == (
        "training_report",
        person.pk,
        "training",
        True,
    )
    disclosed = Disclosure.objects.filter(basis="customer_organization")
    assert sorted(str(d.person_id) for d in disclosed) == sorted(str(p.pk) for p in ours)
    assert {d.recipient for d in disclosed} == {"Tampereen Testi Oy (2077474-0)"}
    event = AuditEvent.objects.get(action="disclose", origin="api")
    assert json.loads(event.detail)["via"] == "mail"
    assert AuditEvent.objects.filter(action="create", object_type="mail", origin="api").exists()

    [message] = deliver_outbox()
    assert message.to == ["anna.virtanen@testi.fi"]
    assert "Tampereen Testi Oy" in message.subject
    [(filename, content, content_type)] = message.attachments
    assert filename == body["filename"] and content_type == "text/csv; charset=utf-8"
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content.lstrip("\ufeff")
    names = [row[0] for row in csv.reader(io.StringIO(text), delimiter=";")][1:]
    assert sorted(names) == ["Meikäläinen Łukasz", "Toinen Pekka"]
    assert "Muukalainen" not in text
    # Sent: the outbox keeps no copy of the report.
    assert not MailAttachment.objects.exists()
    assert OutgoingMail.objects.get(pk=mail.pk).content_destroyed_at is not None


def test_a_pdf_report_in_english(api_as, cast, organization, person, participants):
    response = _send(api_as(cast.privacy_officer), organization, person, format="pdf", language="en")
    assert response.status_code == 202, response.content
    [message] = deliver_outbox()
    assert message.subject.startswith("Training report")
    [(filename, content, content_type)] = message.attachments
    assert content_type == "application/pdf" and filename.endswith(".pdf")
    assert "Meikäläinen Łukasz" in pdf_text(content).splitlines()


def test_a_trainers_mail_holds_only_their_own_instances(api_as, cast, organization, person, participants):
    response = _send(api_as(cast.trainer), organization, person, format="csv")
    assert response.status_code == 202, response.content
    assert response.json()["persons"] == 1
    assert list(Disclosure.objects.values_list("person_id", flat=True)) == [participants[1][0].pk]


def test_anyone_but_the_organizations_contact_is_refused_and_nothing_is_logged_or_queued(
    api_as, cast, system_actor, organization, person, participants
):
    other_org, ours, theirs = participants
    api = api_as(cast.privacy_officer)
    other_contact = person_create(
        actor=system_actor,
        first_name="Kaisa",
        last_name="Kontakti",
        email="kaisa@muu.fi",
        organization=other_org,
        categories=["customer_representative"],
    )
    student_with_address = person_create(
        actor=system_actor,
        first_name="Sanna",
        last_name="Oppilas",
        email="sanna@testi.fi",
        organization=organization,
    )
    for recipient in (other_contact, student_with_address, ours[0]):
        body = assert_error(
            _send(api, organization, recipient), 422, field="to_person_id", code="rule_violation"
        )
        assert "contact person" in body["detail"]
    # The other organization's contact gets only the other organization's report.
    assert_error(_send(api, organization, other_contact), 422)
    assert not OutgoingMail.objects.exists() and not Disclosure.objects.exists()
    assert _send(api, other_org, other_contact).status_code == 202
    assert list(Disclosure.objects.values_list("person_id", flat=True)) == [theirs.pk]


def test_bad_requests(api_as, cast, organization, person, participants):
    api = api_as(cast.privacy_officer)
    assert_error(_send(api, organization, person, format="json"), 422, code="validation_error")
    response = api.post(
        f"/organizations/{organization.pk}/training-report/send",
        {"to_person_id": "00000000-0000-0000-0000-000000000000"},
    )
    assert_error(response, 422, field="to_person_id", code="rule_violation")
    assert_error(
        api.post("/organizations/999999/training-report/send", {"to_person_id": str(person.pk)}), 404
    )
    assert_error(_send(api_as(cast.sales), organization, person), 403)
    assert not OutgoingMail.objects.exists() and not Disclosure.objects.exists()


def test_an_organization_with_nobody_to_report_sends_nothing(api_as, cast, system_actor, person):
    empty = organization_create(actor=system_actor, name="Tyhjä Oy", business_id="0154088-5", city="Oulu")
    contact = person_create(
        actor=system_actor,
        first_name="Tiina",
        last_name="Tyhjä",
        email="tiina@tyhja.fi",
        organization=empty,
        categories=["customer_representative"],
    )
    assert_error(_send(api_as(cast.privacy_officer), empty, contact), 422, field="organization_id")
    assert not OutgoingMail.objects.exists()
