"""A student sees their own results and certificates through the portal after verification:
a single-use link mailed to the address in the register; nothing of anyone else; nothing
without a confirmed link; every read audited as the data subject's own."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from rekisteri.audit.models import AuditEvent
from rekisteri.outbox.tests.helpers import deliver_outbox
from rekisteri.people.services import person_create
from rekisteri.privacy.models import GroupCompany
from rekisteri.training.models import PortalLink
from rekisteri.training.services import (
    certificate_issue,
    course_create,
    enrollment_create,
    instance_create,
    result_set,
)

pytestmark = pytest.mark.django_db

CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture
def course_taken(system_actor, cast, student):
    """Oona passed TT-1 with a certificate; Olli (another student) passed it too."""
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
    other = person_create(actor=system_actor, first_name="Olli", last_name="Muukalainen", email="olli@muu.fi")
    certificates = {}
    for person, grade in ((student, "pass"), (other, "pass")):
        enrollment = enrollment_create(actor=system_actor, instance=instance, person=person)
        result_set(
            actor=system_actor,
            enrollment=enrollment,
            grade=grade,
            completed_on=date(2026, 11, 3),
            passed=True,
        )
        certificates[person.pk] = certificate_issue(actor=system_actor, enrollment=enrollment)
    return certificates, other


def _ask(email: str) -> str:
    """Ask for the link; the mail's body (the link is in it, or it is not)."""
    response = Client().post("/portal/training/", {"email": email}, REMOTE_ADDR="192.0.2.20")
    assert response.status_code == 200
    [message] = [m for m in deliver_outbox() if m.to == [email]]
    return message.body


def _verified_session(email: str) -> tuple[Client, str]:
    token = re.search(r"/portal/training/verify/([\w-]+)/", _ask(email))[1]
    client = Client()
    assert client.get(f"/portal/training/verify/{token}/").status_code == 200  # the confirm button
    response = client.post(f"/portal/training/verify/{token}/")
    assert response.status_code == 302
    return client, response["Location"]


def test_a_verified_student_sees_their_results_and_downloads_their_certificate(student, course_taken):
    certificates, other = course_taken
    mine = certificates[student.pk]
    client, page_url = _verified_session("oona.kurssila@testi.fi")

    page = client.get(page_url)

    assert page.status_code == 200
    html = page.content.decode()
    assert "TT-1" in html and "Työturvallisuus" in html and "3.11.2026" in html
    assert mine.number in html
    # Nothing of the other student: not their certificate, not their name.
    assert certificates[other.pk].number not in html and "Muukalainen" not in html
    event = AuditEvent.objects.get(action="view", object_type="training_results")
    assert (event.origin, json.loads(event.person_ids)) == ("portal", [str(student.pk)])
    assert json.loads(event.detail)["by"] == "data_subject"

    pdf = client.get(f"{page_url}certificate/{mine.pk}/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert AuditEvent.objects.filter(action="export", object_type="certificate", origin="portal").exists()
    # Another student's certificate does not exist through this session.
    assert client.get(f"{page_url}certificate/{certificates[other.pk].pk}/").status_code == 404


def test_an_unverified_or_used_or_expired_link_shows_nothing(student, course_taken):
    body = _ask("oona.kurssila@testi.fi")
    token = re.search(r"/portal/training/verify/([\w-]+)/", body)[1]
    client = Client()

    # Opening the mailed link (a GET, as a mail scanner would) shows no results.
    html = client.get(f"/portal/training/verify/{token}/").content.decode()
    assert "TT-1" not in html and "Työturvallisuus" not in html
    # A made-up session, or the verify token used as a session, shows nothing.
    for fake in ("x" * 43, token):
        response = client.get(f"/portal/training/s/{fake}/")
        assert response.status_code == 410 and "TT-1" not in response.content.decode()
    assert not AuditEvent.objects.filter(object_type="training_results").exists()

    # Single use: a second confirmation is refused.
    page_url = client.post(f"/portal/training/verify/{token}/")["Location"]
    assert client.post(f"/portal/training/verify/{token}/").status_code == 410
    assert client.get(page_url).status_code == 200
    # A session ends after its half hour.
    PortalLink.objects.filter(kind="session").update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(page_url)
    assert response.status_code == 410 and "TT-1" not in response.content.decode()


def test_an_expired_mailed_link_shows_nothing(student, course_taken):
    token = re.search(r"/portal/training/verify/([\w-]+)/", _ask("oona.kurssila@testi.fi"))[1]
    PortalLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Client().post(f"/portal/training/verify/{token}/").status_code == 410
    assert not PortalLink.objects.filter(kind="session").exists()


def test_the_answer_is_the_same_for_a_student_and_an_unknown_address(student, course_taken):
    def submit(email):
        response = Client().post("/portal/training/", {"email": email}, REMOTE_ADDR="192.0.2.21")
        return CSRF.sub(b"", response.content)

    assert submit("oona.kurssila@testi.fi") == submit("nobody@example.fi")
    mails = {m.to[0]: m.body for m in deliver_outbox()}
    assert "/portal/training/verify/" in mails["oona.kurssila@testi.fi"]
    assert "/portal/training/verify/" not in mails["nobody@example.fi"]
    assert PortalLink.objects.count() == 1


def test_a_person_without_training_gets_no_link(person):
    body = _ask("anna.virtanen@testi.fi")
    assert "/portal/training/verify/" not in body
    assert not PortalLink.objects.exists()


def test_the_portal_links_to_the_results_page(client):
    assert "/portal/training/" in client.get("/portal/").content.decode()
    assert client.get("/portal/training/").status_code == 200


def test_an_erased_student_s_open_session_shows_nothing(system_actor, student, course_taken):
    from rekisteri.privacy.erasure import person_erase

    client, page_url = _verified_session("oona.kurssila@testi.fi")
    person_erase(actor=system_actor, person_id=student.pk, reason="erasure_request")

    response = client.get(page_url)
    assert response.status_code == 410 and "TT-1" not in response.content.decode()
    assert not PortalLink.objects.exists()
