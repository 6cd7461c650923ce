"""Consents with history (Art. 7), the basis_set defect, and the consents API."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from rekisteri.audit.models import AuditEvent
from rekisteri.marketing.models import Consent, Wording
from rekisteri.marketing.services.consents import (
    ConsentInForce,
    consent_give,
    consent_withdraw,
    wording_add,
    wording_update,
)
from rekisteri.privacy.bases import in_force_q
from rekisteri.privacy.models import ProcessingBasis
from rekisteri.privacy.services import basis_set

pytestmark = pytest.mark.database


def test_consenting_again_after_a_withdrawal_is_a_new_record_in_force(person, system_actor):
    first = basis_set(actor=system_actor, person=person, purpose="direct_marketing", basis="consent")
    ProcessingBasis.objects.filter(pk=first.pk).update(withdrawn_at="2025-01-01T10:00:00Z")
    again = basis_set(actor=system_actor, person=person, purpose="direct_marketing", basis="consent")
    assert again.pk != first.pk
    first.refresh_from_db()
    assert first.withdrawn_at is not None  # the proof of the withdrawal stays
    assert ProcessingBasis.objects.filter(in_force_q(), person=person).get().pk == again.pk


def test_a_basis_still_current_is_replaced_not_duplicated(person, system_actor):
    first = basis_set(actor=system_actor, person=person, purpose="direct_marketing", basis="consent")
    second = basis_set(
        actor=system_actor,
        person=person,
        purpose="direct_marketing",
        basis="legitimate_interest",
        interest_ground="contacted_us",
    )
    assert first.pk == second.pk
    assert ProcessingBasis.objects.filter(person=person).count() == 1


def test_consent_records_wording_channel_and_evidence_and_keeps_history(person, newsletter, cast):
    from rekisteri.audit.actor import Actor

    actor = Actor.for_user(cast.sales, "ui")
    given = consent_give(actor=actor, person=person, topic="uutiset", channel="phone")
    assert given.wording.version == 1
    assert f'"staff_user_id": {cast.sales.pk}' in given.evidence
    with pytest.raises(ConsentInForce):
        consent_give(actor=actor, person=person, topic="uutiset", channel="phone")
    consent_withdraw(actor=actor, consent=given, channel="email")
    again = consent_give(actor=actor, person=person, topic="uutiset", channel="web_form")
    given.refresh_from_db()
    assert given.withdrawn_at is not None and given.withdrawn_channel == "email"
    assert again.pk != given.pk and again.withdrawn_at is None
    assert Consent.objects.filter(person=person).count() == 2
    # A newsletter consent is the direct-marketing basis where none was in force.
    assert ProcessingBasis.objects.filter(
        in_force_q(), person=person, purpose__slug="direct_marketing"
    ).exists()
    assert AuditEvent.objects.filter(object_type="consent", action="consent_withdraw").exists()


def test_withdrawing_the_last_newsletter_consent_ends_the_consent_basis(person, newsletter, system_actor):
    given = consent_give(actor=system_actor, person=person, topic="uutiset", channel="paper")
    consent_withdraw(actor=system_actor, consent=given, channel="email")
    assert not ProcessingBasis.objects.filter(
        in_force_q(), person=person, purpose__slug="direct_marketing"
    ).exists()


def test_a_used_wording_never_changes_a_new_version_is_added(person, newsletter, system_actor):
    wording = Wording.objects.get(topic=newsletter, version=1)
    consent_give(actor=system_actor, person=person, topic=newsletter, channel="paper")
    with pytest.raises(ValidationError):
        wording_update(actor=system_actor, wording=wording, text_fi="muu", text_en="other")
    second = wording_add(actor=system_actor, topic=newsletter, text_fi="Uusi", text_en="New")
    assert second.version == 2
    wording.refresh_from_db()
    assert wording.text_en.startswith("I want to receive")


def test_objected_person_cannot_be_given_a_consent(person, newsletter, system_actor):
    from rekisteri.people.models import Person

    Person.objects.filter(pk=person.pk).update(marketing_objection_at="2025-01-01T00:00:00Z")
    with pytest.raises(ValidationError):
        consent_give(actor=system_actor, person=person, topic=newsletter, channel="paper")


# --- API ---------------------------------------------------------------------------------


def test_sales_records_and_withdraws_a_consent_through_the_api(cast, api_as, person, newsletter):
    client = api_as(cast.sales)
    created = client.post(
        f"/persons/{person.pk}/consents", {"topic": "uutiset", "channel": "phone", "wording_version": 1}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["in_force"] is True and body["wording_version"] == 1
    again = client.post(f"/persons/{person.pk}/consents", {"topic": "uutiset", "channel": "phone"})
    assert again.status_code == 409
    withdrawn = client.post(f"/persons/{person.pk}/consents/{body['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["in_force"] is False
    listed = client.get(f"/persons/{person.pk}/consents")
    assert [c["id"] for c in listed.json()] == [body["id"]]


def test_consent_api_refuses_unknown_topic_and_version(cast, api_as, person, newsletter):
    client = api_as(cast.sales)
    assert (
        client.post(f"/persons/{person.pk}/consents", {"topic": "nope", "channel": "phone"}).status_code
        == 422
    )
    response = client.post(
        f"/persons/{person.pk}/consents", {"topic": "uutiset", "channel": "phone", "wording_version": 9}
    )
    assert response.status_code == 422 and response.json()["code"] == "rule_violation"


@pytest.mark.parametrize(
    "role,status",
    [
        ("sales", 201),
        ("crm", 201),
        ("marketing", 404),
        ("trainer", 403),
        ("privacy_officer", 403),
        ("admin", 403),
    ],
)
def test_who_may_record_consents(cast, api_as, person, newsletter, role, status):
    # Marketing sees only persons with a direct-marketing basis in force: this one has none.
    response = api_as(getattr(cast, role)).post(
        f"/persons/{person.pk}/consents", {"topic": "uutiset", "channel": "phone"}
    )
    assert response.status_code == status


def test_staff_without_agreement_get_nothing(cast, api_as, person, newsletter):
    response = api_as(cast.sales_no_nda).get(f"/persons/{person.pk}/consents")
    assert response.status_code in (401, 403)


def test_a_consent_withdrawal_request_ends_newsletter_and_tracking_consents(person, newsletter, system_actor):
    from rekisteri.rights.fulfilment.actions import consent_withdraw as request_withdraw

    consent_give(actor=system_actor, person=person, topic=newsletter, channel="paper")
    consent_give(actor=system_actor, person=person, topic="tracking", channel="paper")
    request_withdraw(actor=system_actor, person=person)
    assert not Consent.objects.filter(person=person, withdrawn_at=None).exists()
