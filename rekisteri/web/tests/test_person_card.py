import json
import uuid

import pytest
from django.urls import reverse

from rekisteri.contacts.services import interaction_create
from rekisteri.privacy.services import basis_set, source_add
from rekisteri.web.tests.conftest import events

pytestmark = pytest.mark.django_db


def _url(person, **query):
    url = reverse("web:person_card", args=[person.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_card_shows_contact_data_organization_categories_bases_sources_and_history(
    login, cast, person, system_actor
):
    basis_set(actor=system_actor, person=person, purpose="customer_relationship", basis="contract")
    source_add(actor=system_actor, person=person, kind="data_subject", detail="Messuilta")
    interaction_create(actor=system_actor, person=person, kind="call", text="Soitti tarjouksesta.")

    response = login(cast.sales).get(_url(person))

    body = response.content.decode()
    assert response.status_code == 200
    for text in [
        "Anna Virtanen",
        "anna.virtanen@testi.fi",
        "+358 40 1234567",
        "Tampereen Testi Oy",
        "Hankintapäällikkö",
        "Asiakkaan edustaja",
        "Asiakassuhteen ja asiakaspalvelun hoitaminen",
        "Sopimus",
        "Henkilö itse",
        "Messuilta",
        "Puhelu",
        "Soitti tarjouksesta.",
    ]:
        assert text in body, text


def test_viewing_the_card_is_audited_with_the_person_the_role_purpose_and_the_fields_shown(
    login, cast, student
):
    login(cast.trainer).get(_url(student))

    [event] = events(action="view", object_type="person")
    assert event.actor_user_id == cast.trainer.pk
    assert json.loads(event.person_ids) == [str(student.pk)]
    assert event.purpose == "training"
    assert event.origin == "ui"
    assert json.loads(event.detail) == {"fields": ["categories", "contact", "interactions", "organization"]}


def test_a_trainer_sees_the_card_without_bases_and_sources(login, cast, student, system_actor):
    source_add(actor=system_actor, person=student, kind="data_subject", detail="Messuilta")

    body = login(cast.trainer).get(_url(student)).content.decode()

    assert "Oona Kurssila" in body
    assert "Messuilta" not in body
    assert 'id="bases"' not in body
    assert reverse("web:person_edit", args=[student.pk]) not in body


def test_the_contact_history_is_paginated_newest_first(login, cast, person, system_actor):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    for number in range(25):
        interaction_create(
            actor=system_actor,
            person=person,
            kind="note",
            text=f"Merkintä {number:02d}",
            occurred_at=now - timedelta(days=number),
        )
    client = login(cast.sales)

    first = client.get(_url(person)).content.decode()
    second = client.get(_url(person, page=2)).content.decode()

    assert first.count("Merkintä ") == 20
    assert first.index("Merkintä 00") < first.index("Merkintä 01")
    assert second.count("Merkintä ") == 5
    assert "Merkintä 24" in second


def test_an_unknown_person_is_404(login, cast):
    assert login(cast.sales).get(reverse("web:person_card", args=[uuid.uuid4()])).status_code == 404


def test_a_role_without_view_permission_gets_403_and_no_audit_event(login, powerless, person):
    response = login(powerless).get(_url(person))

    assert response.status_code == 403
    assert "Virtanen" not in response.content.decode()
    assert events(action="view") == []
