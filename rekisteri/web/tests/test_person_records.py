"""Adding interactions, legal bases and sources from the person card."""

import json

import pytest
from django.urls import reverse

from rekisteri.contacts.models import Interaction
from rekisteri.privacy.models import DataSource, ProcessingBasis
from rekisteri.web.tests.conftest import events

pytestmark = pytest.mark.django_db


def test_adding_an_interaction_puts_it_on_the_timeline_and_audits_it(login, cast, student):
    person = student
    client = login(cast.trainer)

    response = client.post(
        reverse("web:interaction_new", args=[person.pk]),
        {"kind": "feedback", "occurred_at": "", "text": "Kurssin palautekeskustelu."},
    )

    assert response.status_code == 302
    assert response.url.endswith("#history")
    interaction = Interaction.objects.get(person=person)
    assert interaction.author == cast.trainer
    [event] = events(action="create", object_type="interaction")
    assert json.loads(event.person_ids) == [str(person.pk)]
    assert (
        "Kurssin palautekeskustelu."
        in client.get(reverse("web:person_card", args=[person.pk])).content.decode()
    )


def test_an_empty_interaction_is_refused_inline(login, cast, person):
    response = login(cast.sales).post(
        reverse("web:interaction_new", args=[person.pk]), {"kind": "call", "text": "  "}
    )

    assert response.status_code == 200
    assert 'id="id_text_error"' in response.content.decode()
    assert not Interaction.objects.exists()


def test_a_future_interaction_is_refused_with_the_services_message(login, cast, person):
    response = login(cast.sales).post(
        reverse("web:interaction_new", args=[person.pk]),
        {"kind": "call", "occurred_at": "2999-01-01T10:00", "text": "Myöhemmin."},
    )

    assert "Yhteydenotto ei voi olla tulevaisuudessa" in response.content.decode()
    assert not Interaction.objects.exists()


def test_marketing_cannot_add_interactions(login, cast, person):
    response = login(cast.marketing).post(
        reverse("web:interaction_new", args=[person.pk]), {"kind": "call", "text": "Ei saa."}
    )

    assert response.status_code == 403
    assert not Interaction.objects.exists()


def test_a_legal_basis_is_recorded_and_can_be_replaced(login, cast, person):
    client = login(cast.sales)
    url = reverse("web:basis_new", args=[person.pk])

    assert client.post(url, {"purpose": "direct_marketing", "basis": "consent"}).status_code == 302
    response = client.post(
        url,
        {
            "purpose": "direct_marketing",
            "basis": "legitimate_interest",
            "interest_ground": "employer_relationship",
            "justification": "Asiakasyritys",
        },
    )

    assert response.status_code == 302
    [record] = ProcessingBasis.objects.filter(person=person)
    assert record.basis == "legitimate_interest"
    assert record.interest_ground == "employer_relationship"
    assert [e.action for e in events(object_type="processing_basis")] == ["create", "change"]


def test_a_legitimate_interest_without_its_connection_is_refused_inline(login, cast, person):
    response = login(cast.sales).post(
        reverse("web:basis_new", args=[person.pk]),
        {"purpose": "direct_marketing", "basis": "legitimate_interest"},
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_interest_ground_error"' in body
    assert "Oikeutetulle edulle on kerrottava" in body
    assert not ProcessingBasis.objects.exists()


def test_the_privacy_officer_cannot_set_a_basis(login, cast, person):
    response = login(cast.privacy_officer).post(
        reverse("web:basis_new", args=[person.pk]), {"purpose": "direct_marketing", "basis": "consent"}
    )

    assert response.status_code == 403
    assert not ProcessingBasis.objects.exists()


def test_a_source_is_recorded_and_audited(login, cast, person):
    response = login(cast.sales).post(
        reverse("web:source_new", args=[person.pk]),
        {"kind": "public_source", "detail": "Yrityksen verkkosivut", "obtained_on": "2025-03-01"},
    )

    assert response.status_code == 302
    source = DataSource.objects.get(person=person)
    assert source.kind == "public_source"
    assert str(source.obtained_on) == "2025-03-01"
    assert len(events(action="create", object_type="data_source")) == 1


def test_an_unknown_source_kind_is_refused_and_a_trainer_may_not_add_sources(login, cast, person):
    url = reverse("web:source_new", args=[person.pk])

    assert login(cast.sales).post(url, {"kind": "rumour"}).status_code == 200
    assert login(cast.trainer).post(url, {"kind": "data_subject"}).status_code == 403
    assert not DataSource.objects.exists()
