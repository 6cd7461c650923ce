"""B2B role relevance (Act 917/2014 ch. 24): marked and removed with a reason, history kept,
audited, through the service, the API and the person's marketing page."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from rekisteri.audit.actor import Actor
from rekisteri.audit.models import AuditEvent
from rekisteri.marketing.audience import audience_compute
from rekisteri.marketing.models import RoleRelevance
from rekisteri.marketing.services.consents import relevance_mark, relevance_remove
from rekisteri.marketing.services.lists import subscription_add

pytestmark = pytest.mark.database


def _client(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_a_removed_mark_stays_as_history_and_ends_the_opt_out_basis(cast, person, newsletter):
    actor = Actor.for_user(cast.sales, "ui")
    subscription_add(actor=actor, person=person, topic=newsletter)
    mark = relevance_mark(actor=actor, person=person, topic=newsletter, reason="Ostaa koulutuksia")
    assert audience_compute(topic=newsletter, basis="b2b_opt_out").count == 1
    removed = relevance_remove(actor=actor, relevance=mark, reason="Vaihtoi tehtävää")
    assert removed.removed_at is not None and removed.removed_by == cast.sales
    assert removed.removal_reason == "Vaihtoi tehtävää" and removed.reason == "Ostaa koulutuksia"
    assert audience_compute(topic=newsletter, basis="b2b_opt_out").count == 0
    event = AuditEvent.objects.filter(object_type="role_relevance", action="delete").get()
    assert json.loads(event.object_ids) == [str(mark.pk)]
    assert json.loads(event.person_ids) == [str(person.pk)]
    # Repeating the removal changes nothing; the reason given first stays.
    relevance_remove(actor=actor, relevance=mark, reason="Toinen syy")
    mark.refresh_from_db()
    assert mark.removal_reason == "Vaihtoi tehtävää"
    assert AuditEvent.objects.filter(object_type="role_relevance", action="delete").count() == 1


def test_a_removal_needs_a_reason(system_actor, person, newsletter):
    mark = relevance_mark(actor=system_actor, person=person, topic=newsletter, reason="Ostaja")
    with pytest.raises(ValidationError):
        relevance_remove(actor=system_actor, relevance=mark, reason="  ")
    mark.refresh_from_db()
    assert mark.removed_at is None


def test_marking_again_ends_the_earlier_mark_and_keeps_both(system_actor, person, newsletter):
    first = relevance_mark(actor=system_actor, person=person, topic=newsletter, reason="Ostaja")
    second = relevance_mark(actor=system_actor, person=person, topic=newsletter, reason="Päättäjä")
    first.refresh_from_db()
    assert first.removed_at is not None and first.removal_reason == "Replaced by a new mark."
    assert RoleRelevance.objects.filter(person=person, removed_at=None).get().pk == second.pk


def test_the_api_marks_lists_the_history_and_removes_with_a_reason(cast, api_as, person, newsletter):
    client = api_as(cast.sales)
    marked = client.post(
        f"/persons/{person.pk}/role-relevance", {"topic": "uutiset", "reason": "Ostaa koulutuksia"}
    )
    assert marked.status_code == 201, marked.content
    mark_id = marked.json()["id"]
    assert marked.json()["in_force"] is True and marked.json()["marked_by"] == "sanna.sales"
    no_reason = client.post(f"/persons/{person.pk}/role-relevance/{mark_id}/remove", {"reason": ""})
    assert no_reason.status_code == 422
    removed = client.post(
        f"/persons/{person.pk}/role-relevance/{mark_id}/remove", {"reason": "Vaihtoi tehtävää"}
    )
    assert removed.status_code == 200, removed.content
    assert removed.json()["in_force"] is False and removed.json()["removal_reason"] == "Vaihtoi tehtävää"
    history = api_as(cast.privacy_officer).get(f"/persons/{person.pk}/role-relevance")
    assert history.status_code == 200
    assert [(r["id"], r["removed_by"]) for r in history.json()] == [(mark_id, "sanna.sales")]
    unknown = client.post(
        f"/persons/{person.pk}/role-relevance/00000000-0000-7000-8000-000000000000/remove",
        {"reason": "x"},
    )
    assert unknown.status_code == 404
    assert (
        client.post(f"/persons/{person.pk}/role-relevance", {"topic": "nope", "reason": "x"}).status_code
        == 422
    )
    # The privacy officer reads the proof but marks nothing.
    assert (
        api_as(cast.privacy_officer)
        .post(f"/persons/{person.pk}/role-relevance", {"topic": "uutiset", "reason": "x"})
        .status_code
        == 403
    )


def test_staff_mark_and_remove_on_the_persons_page(cast, person, newsletter):
    client = _client(cast.crm)
    response = client.post(
        f"/people/{person.pk}/marketing/", {"relevance-topic": "uutiset", "relevance-reason": "Ostaja"}
    )
    assert response.status_code == 302
    mark = RoleRelevance.objects.get(person=person)
    page = client.get(f"/people/{person.pk}/marketing/")
    assert b'name="remove-relevance"' in page.content
    refused = client.post(
        f"/people/{person.pk}/marketing/", {"remove-relevance": str(mark.pk), "remove-reason": ""}
    )
    assert refused.status_code == 200
    mark.refresh_from_db()
    assert mark.removed_at is None
    response = client.post(
        f"/people/{person.pk}/marketing/",
        {"remove-relevance": str(mark.pk), "remove-reason": "Jäi eläkkeelle"},
    )
    assert response.status_code == 302
    mark.refresh_from_db()
    assert mark.removed_at is not None and mark.removed_by == cast.crm
    page = client.get(f"/people/{person.pk}/marketing/")
    assert "Jäi eläkkeelle".encode() in page.content and b"Ostaja" in page.content
    # The privacy officer sees the history but cannot change it.
    officer = _client(cast.privacy_officer)
    assert b'name="remove-relevance"' not in officer.get(f"/people/{person.pk}/marketing/").content
    assert (
        officer.post(
            f"/people/{person.pk}/marketing/", {"relevance-topic": "uutiset", "relevance-reason": "x"}
        ).status_code
        == 403
    )
