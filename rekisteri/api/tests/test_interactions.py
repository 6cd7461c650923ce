"""/api/v1/persons/{id}/interactions: the contact history, read and written with audit."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from django.utils import timezone

from rekisteri.api.tests.conftest import api_events, assert_error
from rekisteri.contacts.models import Interaction
from rekisteri.contacts.services import interaction_create
from rekisteri.privacy.services import basis_set


def test_a_trainer_records_an_interaction(cast, api_as, student):
    person = student
    response = api_as(cast.trainer).post(
        f"/persons/{person.pk}/interactions", {"kind": "event", "text": "Osallistui GDPR-koulutukseen."}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    interaction = Interaction.objects.get(pk=body["id"])
    assert interaction.person == person
    assert interaction.author == cast.trainer
    assert body["person_id"] == str(person.pk)
    assert body["author_id"] == cast.trainer.pk
    person.refresh_from_db()
    assert person.last_activity_at == interaction.occurred_at
    [event] = api_events(action="create", object_type="interaction")
    assert json.loads(event.person_ids) == [str(person.pk)]
    assert "GDPR" not in event.detail


def test_an_interaction_may_be_dated_in_the_past_but_not_the_future(cast, api_as, person):
    client = api_as(cast.sales)
    response = client.post(
        f"/persons/{person.pk}/interactions",
        {"kind": "call", "text": "Soitto", "occurred_at": "2025-03-01T10:00:00+02:00"},
    )
    assert response.status_code == 201, response.content
    undated = client.post(
        f"/persons/{person.pk}/interactions", {"kind": "note", "text": "x", "occurred_at": None}
    )
    assert undated.status_code == 201, undated.content
    future = (timezone.now() + timedelta(days=10)).isoformat()
    assert_error(
        client.post(
            f"/persons/{person.pk}/interactions", {"kind": "call", "text": "Soitto", "occurred_at": future}
        ),
        422,
        field="occurred_at",
    )


def test_listing_interactions_is_paginated_newest_first_and_audited(cast, api_as, person, system_actor):
    now = timezone.now()
    for days in (3, 1, 2):
        interaction_create(
            actor=system_actor,
            person=person,
            kind="note",
            text=f"{days} days ago",
            occurred_at=now - timedelta(days=days),
        )
    response = api_as(cast.crm).get(f"/persons/{person.pk}/interactions", limit=2)
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 3
    assert [i["text"] for i in body["items"]] == ["1 days ago", "2 days ago"]
    [event] = api_events(action="list", object_type="interaction")
    assert json.loads(event.person_ids) == [str(person.pk)]
    assert sorted(json.loads(event.object_ids)) == sorted(i["id"] for i in body["items"])
    assert event.purpose == "customer_relationship"


def test_marketing_reads_kinds_and_dates_of_interactions_but_not_their_texts(
    cast, api_as, person, system_actor
):
    basis_set(actor=system_actor, person=person, purpose="direct_marketing", basis="consent")
    interaction_create(actor=system_actor, person=person, kind="meeting", text="Hinnoittelusta 12 000 €")

    response = api_as(cast.marketing).get(f"/persons/{person.pk}/interactions")

    assert response.status_code == 200
    [item] = response.json()["items"]
    assert item["kind"] == "meeting"
    assert item["occurred_at"]
    assert item["text"] is None
    assert "Hinnoittelusta" not in response.content.decode()
    [event] = api_events(action="list", object_type="interaction")
    assert event.purpose == "direct_marketing"
    assert json.loads(event.detail)["texts"] is False


def test_a_trainer_reads_only_training_kinds_and_may_record_only_them(cast, api_as, student, system_actor):
    interaction_create(actor=system_actor, person=student, kind="call", text="Tarjous 5 000 €")
    interaction_create(actor=system_actor, person=student, kind="feedback", text="Hyvä kurssi")
    client = api_as(cast.trainer)

    body = client.get(f"/persons/{student.pk}/interactions").json()

    assert [(i["kind"], i["text"]) for i in body["items"]] == [("feedback", "Hyvä kurssi")]
    assert body["total"] == 1
    assert_error(
        client.post(f"/persons/{student.pk}/interactions", {"kind": "call", "text": "Soitin"}),
        422,
        field="kind",
    )
    assert Interaction.objects.filter(person=student).count() == 2


def test_marketing_may_read_but_not_write_interactions(cast, api_as, person):
    body = assert_error(
        api_as(cast.marketing).post(f"/persons/{person.pk}/interactions", {"kind": "note", "text": "x"}),
        403,
        code="permission_denied",
    )
    assert "contacts.add_interaction" in body["detail"]
    assert not Interaction.objects.exists()


def test_interactions_of_an_unknown_person_are_a_404(cast, api_as):
    client = api_as(cast.sales)
    assert_error(client.get(f"/persons/{uuid.uuid4()}/interactions"), 404, code="not_found")
    assert_error(client.post(f"/persons/{uuid.uuid4()}/interactions", {"kind": "note", "text": "x"}), 404)
    assert not Interaction.objects.exists()


def test_an_unknown_kind_or_empty_text_is_refused_naming_the_field(cast, api_as, person):
    client = api_as(cast.sales)
    assert_error(
        client.post(f"/persons/{person.pk}/interactions", {"kind": "telegram", "text": "x"}),
        422,
        field="kind",
    )
    assert_error(
        client.post(f"/persons/{person.pk}/interactions", {"kind": "note", "text": "   "}), 422, field="text"
    )
    assert not Interaction.objects.exists()
