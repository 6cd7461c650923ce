"""Art. 14 in the staff UI: the privacy officer sees who is due and informs with one action."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from rekisteri.notice.models import SourceInformation
from rekisteri.outbox.models import OutgoingMail
from rekisteri.privacy.services import source_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(cast) -> Client:
    client = Client()
    client.force_login(cast.privacy_officer, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_the_page_lists_the_overdue_first_and_not_who_gave_the_data_themselves(
    officer, system_actor, person, student
):
    today = timezone.localdate()
    source_add(actor=system_actor, person=student, kind="public_source", obtained_on=today)
    obtained = today - timedelta(days=40)
    source_add(
        actor=system_actor, person=person, kind="asiakastieto", obtained_on=obtained, report_date=obtained
    )
    page = officer.get("/privacy/information/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.index("Anna Virtanen") < page.index("Oona Kurssila")
    assert "overdue" in page


def test_one_person_is_informed_from_the_page(officer, system_actor, person):
    source_add(actor=system_actor, person=person, kind="employer_or_partner")
    response = officer.post(f"/privacy/information/{person.pk}/send/")
    assert response.status_code == 302
    assert SourceInformation.objects.filter(person=person).count() == 1
    assert OutgoingMail.objects.filter(kind="source_information", person=person).exists()
    # Again: nothing more is sent.
    officer.post(f"/privacy/information/{person.pk}/send/")
    assert OutgoingMail.objects.filter(kind="source_information").count() == 1
    page = officer.get("/privacy/information/").content.decode()
    assert "Anna Virtanen" not in page


def test_everyone_due_is_informed_with_one_action(officer, system_actor, person, student):
    source_add(actor=system_actor, person=person, kind="employer_or_partner")
    source_add(actor=system_actor, person=student, kind="public_source")
    response = officer.post("/privacy/information/send/")
    assert response.status_code == 302
    assert SourceInformation.objects.count() == 2
    assert OutgoingMail.objects.filter(kind="source_information").count() == 2


def test_an_unknown_person_is_404(officer):
    assert officer.post("/privacy/information/00000000-0000-0000-0000-000000000000/send/").status_code == 404


def test_other_roles_are_refused(cast, system_actor, person):
    source_add(actor=system_actor, person=person, kind="employer_or_partner")
    for user in [cast.sales, cast.crm, cast.marketing, cast.trainer, cast.admin]:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        assert client.get("/privacy/information/").status_code == 403
        assert client.post("/privacy/information/send/").status_code == 403
    assert not SourceInformation.objects.exists()


def test_a_person_without_an_address_is_recorded_as_informed_by_post(officer, system_actor, organization):
    from rekisteri.people.services import person_create

    person = person_create(
        actor=system_actor, first_name="Pekka", last_name="Posti", organization=organization
    )
    source_add(actor=system_actor, person=person, kind="public_source")
    page = officer.get("/privacy/information/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "no e-mail address" in page and "Informed by other means" in page
    response = officer.post(f"/privacy/information/{person.pk}/recorded/", {"channel": "post"})
    assert response.status_code == 302
    assert SourceInformation.objects.get(person=person).channel == "post"
    assert not OutgoingMail.objects.exists()


def _card(client, person) -> str:
    return client.get(f"/people/{person.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_card_shows_per_source_whether_the_person_was_informed_or_why_not_needed(
    officer, system_actor, person
):
    today = timezone.localdate()
    source_add(actor=system_actor, person=person, kind="data_subject", obtained_on=today)
    old = today - timedelta(days=40)
    source_add(actor=system_actor, person=person, kind="employer_or_partner", obtained_on=old)
    page = _card(officer, person)
    assert "collected from the person themself (Art. 13)" in page
    assert "Art. 14 information overdue" in page
    assert "Send the Art. 14 information now" in page

    # Sent from the card, and back on the card.
    sent = officer.post(f"/privacy/information/{person.pk}/send/", {"next": f"/people/{person.pk}/#sources"})
    assert sent.status_code == 302 and sent["Location"] == f"/people/{person.pk}/#sources"
    page = _card(officer, person)
    assert "Informed of this source (Art. 14) on" in page and "(e-mail)" in page
    assert "Send the Art. 14 information now" not in page and "overdue" not in page


def test_a_card_of_someone_without_an_address_offers_recording_and_no_one_is_sent_elsewhere(
    officer, system_actor, organization
):
    from rekisteri.people.services import person_create

    pekka = person_create(
        actor=system_actor, first_name="Pekka", last_name="Posti", organization=organization
    )
    source_add(actor=system_actor, person=pekka, kind="public_source")
    page = _card(officer, pekka)
    assert "Art. 14 information not yet given" in page
    assert "Record the Art. 14 information as given" in page and "Send the Art. 14" not in page
    # An address outside the register is not followed.
    done = officer.post(
        f"/privacy/information/{pekka.pk}/recorded/", {"channel": "post", "next": "https://evil.example/"}
    )
    assert done["Location"] == "/privacy/information/"
    assert SourceInformation.objects.get(person=pekka).channel == "post"
    assert "(post)" in _card(officer, pekka)


@pytest.mark.parametrize("role", ["sales", "crm", "admin"])
def test_roles_that_see_sources_see_the_state_but_may_not_send(cast, system_actor, person, role):
    source_add(actor=system_actor, person=person, kind="employer_or_partner")
    client = Client()
    client.force_login(getattr(cast, role), backend="django.contrib.auth.backends.ModelBackend")
    page = _card(client, person)
    assert "Art. 14 information not yet given" in page
    assert "Send the Art. 14 information now" not in page
    assert client.post(f"/privacy/information/{person.pk}/send/").status_code == 403
