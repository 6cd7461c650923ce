"""The person forms warn about an existing card with the same e-mail or phone."""

import json

import pytest
from django.urls import reverse

from rekisteri.people.models import Person
from rekisteri.people.services import person_create
from rekisteri.web.tests.conftest import events

pytestmark = pytest.mark.django_db

NEW = {"first_name": "Anni", "last_name": "Virta", "email": "Anna.Virtanen@testi.fi"}


def test_a_new_person_with_an_existing_email_is_not_saved_and_the_existing_card_is_offered(
    login, cast, person
):
    response = login(cast.sales).post(reverse("web:person_new"), NEW)

    body = response.content.decode()
    assert response.status_code == 200
    assert Person.objects.count() == 1
    assert "Henkilö saattaa olla jo rekisterissä" in body
    assert "Rekisterissä on jo toinen henkilö, jolla on tämä sähköpostiosoite." in body
    assert reverse("web:person_card", args=[person.pk]) in body
    assert "Anna Virtanen" in body
    assert 'name="allow_duplicate"' in body
    assert "Tallenna silti" in body


def test_showing_the_existing_card_is_audited_by_id_with_the_reason(login, cast, person):
    login(cast.sales).post(reverse("web:person_new"), NEW)

    [event] = events(action="list", object_type="person")
    assert json.loads(event.person_ids) == [str(person.pk)]
    assert json.loads(event.detail) == {"reason": "duplicate_warning", "results": 1}
    assert "Virtanen" not in event.detail


def test_save_anyway_saves_the_second_person(login, cast, person):
    response = login(cast.sales).post(reverse("web:person_new"), {**NEW, "allow_duplicate": "on"})

    assert response.status_code == 302
    assert Person.objects.count() == 2
    created = Person.objects.exclude(pk=person.pk).get()
    assert response["Location"] == reverse("web:person_card", args=[created.pk])


def test_the_form_without_a_match_shows_no_warning(login, cast):
    body = login(cast.sales).get(reverse("web:person_new")).content.decode()

    assert 'name="allow_duplicate"' not in body


def test_changing_a_phone_to_another_persons_warns_and_save_anyway_changes_it(
    login, cast, person, system_actor
):
    other = person_create(actor=system_actor, first_name="Olli", last_name="Ojala")
    form = {"first_name": "Olli", "last_name": "Ojala", "phone": "040 123 4567"}
    client = login(cast.sales)
    url = reverse("web:person_edit", args=[other.pk])

    warned = client.post(url, form)

    assert warned.status_code == 200
    assert "Rekisterissä on jo toinen henkilö, jolla on tämä puhelinnumero." in warned.content.decode()
    other.refresh_from_db()
    assert other.phone == ""

    saved = client.post(url, {**form, "allow_duplicate": "on"})

    assert saved.status_code == 302
    other.refresh_from_db()
    assert other.phone == "+358401234567"
