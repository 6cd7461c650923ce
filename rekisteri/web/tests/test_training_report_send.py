"""The training report by mail from the staff pages: the contact person is chosen among the
organization's customer representatives; the report is queued with its file and each person
logged; another recipient is a form error and nothing leaves."""

from __future__ import annotations

from datetime import date

import pytest

from rekisteri.outbox.models import OutgoingMail
from rekisteri.outbox.tests.helpers import deliver_outbox
from rekisteri.people.services import person_create
from rekisteri.privacy.models import Disclosure, GroupCompany
from rekisteri.training.services import course_create, enrollment_create, instance_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled(system_actor, cast, student, organization):
    course = course_create(
        actor=system_actor,
        code="TT-1",
        name_fi="Työturvallisuus",
        name_en="Work safety",
        company=GroupCompany.objects.get(is_controller=True),
    )
    instance = instance_create(
        actor=system_actor,
        course=course,
        starts_on=date(2026, 11, 2),
        ends_on=date(2026, 11, 3),
        trainers=[cast.trainer.username],
        place="Tampere",
    )
    return enrollment_create(actor=system_actor, instance=instance, person=student, organization=organization)


def test_send_by_mail_leads_from_the_report_form_to_the_choice_of_contact(
    login, cast, organization, enrolled
):
    client = login(cast.trainer)
    response = client.get(
        "/training/report/", {"organization": organization.pk, "format": "csv", "send": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/training/report/send/{organization.pk}/?format=csv"
    assert not Disclosure.objects.exists()
    client.cookies["django_language"] = "en"
    assert "Send by e-mail to a contact person" in client.get("/training/").content.decode()


def test_a_trainer_sends_the_report_to_the_contact_person(
    login, cast, organization, person, student, enrolled
):
    client = login(cast.trainer)
    page = client.get(f"/training/report/send/{organization.pk}/", {"format": "csv"}).content.decode()
    # The contact is offered; the student (not a customer representative) is not.
    assert f'value="{person.pk}"' in page and "Anna Virtanen" in page
    assert f'value="{student.pk}"' not in page

    response = client.post(
        f"/training/report/send/{organization.pk}/",
        {"to_person": str(person.pk), "format": "pdf", "language": "fi"},
    )

    assert response.status_code == 302 and response["Location"] == "/training/"
    assert Disclosure.objects.get().person == student
    [message] = deliver_outbox()
    assert message.to == ["anna.virtanen@testi.fi"]
    [(filename, content, content_type)] = message.attachments
    assert content_type == "application/pdf" and content.startswith(b"%PDF-")


def test_another_recipient_is_a_form_error_and_nothing_leaves(
    login, cast, system_actor, organization, enrolled
):
    stranger = person_create(
        actor=system_actor, first_name="Vieras", last_name="Henkilö", email="vieras@muualla.fi"
    )
    client = login(cast.privacy_officer)
    client.cookies["django_language"] = "en"
    response = client.post(
        f"/training/report/send/{organization.pk}/",
        {"to_person": str(stranger.pk), "format": "csv", "language": "fi"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and "customer representative of this organization" in html
    response = client.post(
        f"/training/report/send/{organization.pk}/",
        {"to_person": "not-a-uuid", "format": "csv", "language": "fi"},
    )
    assert response.status_code == 200 and "No such person." in response.content.decode()
    assert not OutgoingMail.objects.exists() and not Disclosure.objects.exists()


def test_an_organization_without_a_contact_says_so(login, cast, system_actor, enrolled):
    from rekisteri.organizations.services import organization_create

    lonely = organization_create(actor=system_actor, name="Yksin Oy", business_id="0154088-5", city="Oulu")
    client = login(cast.trainer)
    client.cookies["django_language"] = "en"
    html = client.get(f"/training/report/send/{lonely.pk}/").content.decode()
    assert "has no contact person" in html
    assert login(cast.trainer).get("/training/report/send/999999/").status_code == 404
    assert login(cast.sales).get(f"/training/report/send/{lonely.pk}/").status_code == 403
