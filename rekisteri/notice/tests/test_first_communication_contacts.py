"""Art. 14(3)(b) outside campaigns: a mail to the person is preceded by the information, a logged
call, meeting or e-mail sends it at once (or tells the staff member it is owed)."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from rekisteri.accounts.services import token_create
from rekisteri.audit.models import AuditEvent
from rekisteri.contacts.services import interaction_create
from rekisteri.marketing.services.consents import topic_create
from rekisteri.marketing.services.lists import signup_request
from rekisteri.notice.informing import information_due
from rekisteri.notice.models import SourceInformation
from rekisteri.outbox.models import OutgoingMail
from rekisteri.outbox.services import mail_enqueue, privacy_officers_mail
from rekisteri.outbox.tests.helpers import deliver_outbox
from rekisteri.people.models import Person
from rekisteri.people.services import person_create
from rekisteri.privacy.services import source_add

pytestmark = pytest.mark.django_db


def _mail_to(person, kind="restriction_lifted"):
    return mail_enqueue(
        to=person.email,
        subject="Hei",
        text="Viesti",
        kind=kind,
        purpose="rights_and_obligations",
        person_id=person.pk,
    )


# --- Mails --------------------------------------------------------------------------------


def test_a_mail_to_a_person_owed_it_is_preceded_by_the_information_and_it_is_recorded(system_actor, person):
    source_add(actor=system_actor, person=person, kind="employer_or_partner")
    first = _mail_to(person)
    info = OutgoingMail.objects.get(kind="source_information")
    assert info.person_id == person.pk and info.created_at <= first.created_at
    (row,) = SourceInformation.objects.filter(person=person)
    assert row.mail_id == info.pk and row.channel == "email"
    event = AuditEvent.objects.get(object_type="source_information", action="create")
    assert json.loads(event.detail)["first_communication"] == {"mail": "restriction_lifted"}
    # Delivered first, in the same round.
    assert [message.subject for message in deliver_outbox()] == [info.subject, "Hei"]
    # The next mail comes alone: nobody is told twice of the same collection.
    _mail_to(person)
    assert OutgoingMail.objects.filter(kind="source_information").count() == 1


def test_a_person_with_only_self_given_data_gets_no_information_mail(system_actor, person):
    source_add(actor=system_actor, person=person, kind="data_subject")
    _mail_to(person)
    assert not OutgoingMail.objects.filter(kind="source_information").exists()


def test_a_public_form_mail_to_the_address_of_a_person_owed_it_is_preceded_by_it(system_actor, person):
    source_add(actor=system_actor, person=person, kind="public_source")
    topic_create(actor=system_actor, slug="uutiset", name_fi="Uutiset", name_en="News")
    signup_request(topic="uutiset", email=person.email, first_name="Anna", last_name="Virtanen")
    kinds = list(OutgoingMail.objects.order_by("created_at").values_list("kind", flat=True))
    assert kinds == ["source_information", "newsletter_confirm"]
    assert SourceInformation.objects.filter(person=person).count() == 1


def test_staff_mails_never_inform(system_actor, person, settings):
    source_add(actor=system_actor, person=person, kind="public_source")
    # Even when a privacy officer's address is that of a person owed the information.
    settings.PRIVACY_OFFICER_EMAILS = [person.email]
    privacy_officers_mail(
        template="outbox/mail/failed_alert",
        context={"mails": []},
        kind="digest",
        purpose="rights_and_obligations",
    )
    assert OutgoingMail.objects.filter(kind="digest").exists()
    assert not OutgoingMail.objects.filter(kind="source_information").exists()


def test_a_restricted_person_and_a_person_without_an_address_get_no_information_mail(
    system_actor, person, organization
):
    source_add(actor=system_actor, person=person, kind="public_source")
    Person.objects.filter(pk=person.pk).update(restricted_at=timezone.now())
    person.refresh_from_db()
    _mail_to(person)
    pekka = person_create(
        actor=system_actor, first_name="Pekka", last_name="Posti", organization=organization
    )
    source_add(actor=system_actor, person=pekka, kind="public_source")
    _answer_to_an_address_not_in_the_register(pekka)
    assert not OutgoingMail.objects.filter(kind="source_information").exists()
    assert {entry.person_id for entry in information_due()} == {person.pk, pekka.pk}


# --- Logged contacts ----------------------------------------------------------------------


def _api(user, system_actor) -> Client:
    raw = token_create(actor=system_actor, user=user, name="t")[1]
    return Client(headers={"Authorization": f"Bearer {raw}"})


def _log_call(client, person, kind="call"):
    return client.post(
        f"/api/v1/persons/{person.pk}/interactions",
        json.dumps({"kind": kind, "text": "Soitin tarjouksesta."}),
        content_type="application/json",
    )


def test_a_call_logged_over_the_api_sends_the_information_and_says_so(cast, system_actor, person):
    source_add(actor=system_actor, person=person, kind="employer_or_partner")
    client = _api(cast.sales, system_actor)
    response = _log_call(client, person)
    assert response.status_code == 201
    assert response.json()["source_information"] == "sent"
    info = OutgoingMail.objects.get(kind="source_information", person_id=person.pk)
    assert SourceInformation.objects.get(person=person).mail_id == info.pk
    event = AuditEvent.objects.get(object_type="source_information", action="create")
    assert event.actor_user_id == cast.sales.pk
    assert json.loads(event.detail)["first_communication"] == {"interaction": "call"}
    # The next call: nothing owed any more.
    again = _log_call(client, person)
    assert again.status_code == 201 and again.json()["source_information"] is None
    assert OutgoingMail.objects.filter(kind="source_information").count() == 1


def test_a_note_is_no_communication(cast, system_actor, person):
    source_add(actor=system_actor, person=person, kind="employer_or_partner")
    response = _log_call(_api(cast.sales, system_actor), person, kind="note")
    assert response.status_code == 201 and response.json()["source_information"] is None
    assert not OutgoingMail.objects.filter(kind="source_information").exists()


def test_a_call_to_a_person_without_an_address_reports_it_owed_and_due_today(
    cast, system_actor, organization
):
    pekka = person_create(
        actor=system_actor, first_name="Pekka", last_name="Posti", organization=organization
    )
    source_add(
        actor=system_actor,
        person=pekka,
        kind="asiakastieto",
        obtained_on=timezone.localdate() - timezone.timedelta(days=3),
        report_date=timezone.localdate() - timezone.timedelta(days=3),
    )
    response = _log_call(_api(cast.sales, system_actor), pekka)
    assert response.status_code == 201 and response.json()["source_information"] == "owed"
    assert not OutgoingMail.objects.filter(kind="source_information").exists()
    (entry,) = information_due()
    assert entry.person_id == pekka.pk and entry.due_on == timezone.localdate()


def test_a_restricted_person_cannot_be_logged_and_is_not_mailed(cast, system_actor, person):
    source_add(actor=system_actor, person=person, kind="employer_or_partner")
    Person.objects.filter(pk=person.pk).update(restricted_at=timezone.now())
    response = _log_call(_api(cast.sales, system_actor), person)
    assert response.status_code in (404, 422)
    assert not OutgoingMail.objects.exists()
    assert not SourceInformation.objects.exists()


def _ui(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_the_card_warns_before_contact_and_the_form_tells_what_was_done(cast, system_actor, person):
    source_add(actor=system_actor, person=person, kind="employer_or_partner")
    client = _ui(cast.sales)
    card = client.get(f"/people/{person.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Art. 14 information still owed" in card
    assert "mails the information to them at once" in card
    response = client.post(
        f"/people/{person.pk}/interactions/new/",
        {"kind": "call", "text": "Soitin."},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    page = response.content.decode()
    assert "the information was mailed to them now" in page
    assert "Art. 14 information still owed" not in page
    assert SourceInformation.objects.filter(person=person).count() == 1


def test_the_form_tells_the_staff_member_to_inform_a_person_without_an_address(
    cast, system_actor, organization
):
    pekka = person_create(
        actor=system_actor, first_name="Pekka", last_name="Posti", organization=organization
    )
    source_add(actor=system_actor, person=pekka, kind="public_source")
    client = _ui(cast.sales)
    card = client.get(f"/people/{pekka.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "has no e-mail address: when you contact them" in card
    # Only the privacy officer records information given by other means: sales is told to
    # let them know, not sent to a form it cannot use.
    assert "let the privacy officer know" in card and "record it under Sources" not in card
    page = client.post(
        f"/people/{pekka.pk}/interactions/new/",
        {"kind": "meeting", "text": "Tapasimme."},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    ).content.decode()
    assert "tell them orally or by post and let the privacy officer know" in page
    assert not OutgoingMail.objects.exists()


def test_a_service_caller_learns_the_outcome_too(system_actor, person):
    source_add(actor=system_actor, person=person, kind="public_source")
    interaction = interaction_create(
        actor=system_actor, person=person, kind="email", text="Lähetin tarjouksen."
    )
    assert interaction.source_information == "sent"
    (message,) = deliver_outbox()
    assert message.to == [person.email]
    assert message.subject == OutgoingMail.objects.get(kind="source_information").subject


def test_a_mail_that_could_not_carry_the_information_makes_it_due_that_day(system_actor, organization):
    pekka = person_create(
        actor=system_actor, first_name="Pekka", last_name="Posti", organization=organization
    )
    obtained = timezone.localdate() - timezone.timedelta(days=5)
    source_add(actor=system_actor, person=pekka, kind="public_source", obtained_on=obtained)
    (entry,) = information_due()
    assert entry.due_on > timezone.localdate()
    # An answer to Pekka's request, to the address he wrote from (none is in the register).
    _answer_to_an_address_not_in_the_register(pekka)
    (entry,) = information_due()
    assert entry.due_on == timezone.localdate()


def _answer_to_an_address_not_in_the_register(person):
    """An answer to the person's request, to the address they wrote from (a representative's)."""
    mail_enqueue(
        to="pekan.asiamies@example.fi",
        subject="Vastaus",
        text="...",
        kind="fulfilled_access",
        purpose="rights_and_obligations",
        person_id=person.pk,
    )
