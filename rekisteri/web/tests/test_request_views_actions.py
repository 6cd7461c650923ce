"""Every action of the request detail page: the happy path, and the services' refusals as form errors."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from rekisteri.audit.models import AuditEvent
from rekisteri.lib.deadlines import add_months
from rekisteri.outbox.tests.helpers import deliver_outbox
from rekisteri.rights.models import DataSubjectRequest, Status
from rekisteri.rights.services import request_create, request_refuse, request_withdraw

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(cast) -> Client:
    client = Client()
    client.force_login(cast.privacy_officer, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _request(actor, **fields) -> DataSubjectRequest:
    values = {
        "type": "access",
        "channel": "email",
        "email": "pyytaja@example.fi",
        "verification": "email_known_address",
        "language": "fi",
        **fields,
    }
    return request_create(actor=actor, **values)


def _post(client: Client, dsr, action: str, data: dict | None = None):
    return client.post(f"/requests/{dsr.pk}/{action}/", data or {})


def _fresh(dsr) -> DataSubjectRequest:
    return DataSubjectRequest.objects.get(pk=dsr.pk)


def _error_text(response) -> str:
    body = response.content.decode()
    start = body.index('class="form-errors"')
    return body[start : body.index("</div>", start)]


# --- Verify ---------------------------------------------------------------------------------


def test_recording_a_phone_callback_verifies_a_waiting_request(officer, system_actor, cast):
    dsr = _request(system_actor, channel="phone", email="", verification="")
    assert dsr.status == Status.AWAITING_VERIFICATION

    response = _post(
        officer, dsr, "verify", {"method": "phone_callback", "note": "Soitin rekisterin numeroon."}
    )

    assert response.status_code == 302
    dsr = _fresh(dsr)
    assert (dsr.status, dsr.verification) == (Status.NEW, "phone_callback")
    assert dsr.verification_note == "Soitin rekisterin numeroon."
    [event] = AuditEvent.objects.filter(action="verify")
    assert event.actor_user_id == cast.privacy_officer.pk
    assert "Soitin" not in event.detail


def test_recording_a_failed_check_keeps_the_request_waiting(officer, system_actor):
    dsr = _request(system_actor, channel="letter", email="", verification="")

    assert _post(officer, dsr, "verify", {"method": "failed", "note": "Ei vastannut."}).status_code == 302

    dsr = _fresh(dsr)
    assert dsr.status == Status.AWAITING_VERIFICATION and dsr.verified_at is None


def test_verifying_a_closed_request_is_a_form_error(officer, system_actor):
    dsr = _request(system_actor)
    request_withdraw(actor=system_actor, request=dsr)

    response = _post(officer, dsr, "verify", {"method": "id_document"})

    assert response.status_code == 200
    assert "Pyyntö on suljettu." in _error_text(response)
    assert _fresh(dsr).verification == "email_known_address"


def test_a_verification_without_a_method_is_a_field_error(officer, system_actor):
    dsr = _request(system_actor, verification="")

    response = _post(officer, dsr, "verify", {"method": ""})

    assert response.status_code == 200
    assert 'id="verify_method_error"' in response.content.decode()
    # The failing action's form is open so the error is seen.
    assert 'id="action-verify" open' in response.content.decode()


def test_a_verified_request_offers_no_verification_and_refuses_one(officer, system_actor):
    verified = _request(system_actor)
    waiting = _request(system_actor, verification="")

    assert f"/requests/{verified.pk}/verify/" not in officer.get(f"/requests/{verified.pk}/").content.decode()
    assert f"/requests/{waiting.pk}/verify/" in officer.get(f"/requests/{waiting.pk}/").content.decode()
    response = _post(officer, verified, "verify", {"method": "id_document"})

    assert response.status_code == 200
    assert "Pyytäjän henkilöllisyys on jo varmistettu." in response.content.decode()
    assert _fresh(verified).verification == "email_known_address"
    assert not AuditEvent.objects.filter(action="verify").exists()


# --- Assign and start ----------------------------------------------------------------------------


def test_assigning_the_request_to_a_privacy_officer(officer, system_actor, cast):
    dsr = _request(system_actor)

    assert _post(officer, dsr, "assign", {"assignee": cast.privacy_officer.pk}).status_code == 302
    assert _fresh(dsr).assignee_id == cast.privacy_officer.pk
    assert _post(officer, dsr, "assign", {"assignee": ""}).status_code == 302
    assert _fresh(dsr).assignee_id is None


def test_a_salesperson_cannot_be_made_the_handler(officer, system_actor, cast):
    dsr = _request(system_actor)

    response = _post(officer, dsr, "assign", {"assignee": cast.sales.pk})

    assert response.status_code == 200
    assert 'id="assign_assignee_error"' in response.content.decode()
    assert _fresh(dsr).assignee_id is None


def test_starting_a_verified_request(officer, system_actor):
    dsr = _request(system_actor)

    assert _post(officer, dsr, "start").status_code == 302

    assert _fresh(dsr).status == Status.IN_PROGRESS


def test_starting_an_unverified_request_is_refused_as_a_form_error(officer, system_actor):
    dsr = _request(system_actor, verification="")

    response = _post(officer, dsr, "start")

    assert response.status_code == 200
    assert "henkilöllisyys on varmistettava" in _error_text(response)
    assert _fresh(dsr).status == Status.AWAITING_VERIFICATION


def test_starting_twice_is_an_invalid_transition_shown_as_a_form_error(officer, system_actor):
    dsr = _request(system_actor)
    _post(officer, dsr, "start")

    response = _post(officer, dsr, "start")

    assert response.status_code == 200
    assert 'class="form-errors"' in response.content.decode()
    assert _fresh(dsr).status == Status.IN_PROGRESS


# --- Extend ---------------------------------------------------------------------------------


def _extend(client, dsr, **overrides):
    data = {
        "months": "2",
        "reason": "Pyyntöjä on poikkeuksellisen paljon.",
        "notified_on": timezone.localdate().isoformat(),
        "notified_via": "email",
        **overrides,
    }
    return _post(client, dsr, "extend", data)


def test_extending_by_email_records_it_and_mails_the_requester_the_reasons_and_new_date(
    officer, system_actor
):
    dsr = _request(system_actor)

    response = _extend(officer, dsr)

    assert response.status_code == 302
    dsr = _fresh(dsr)
    assert dsr.extension_months == 2
    assert dsr.due_on == add_months(dsr.received_on, 3)
    assert (dsr.extension_notified_on, dsr.extension_notified_via) == (timezone.localdate(), "email")
    [message] = deliver_outbox()
    assert message.to == ["pyytaja@example.fi"]
    assert "Pyyntöjä on poikkeuksellisen paljon." in message.body
    assert dsr.due_on.strftime("%-d.%-m.%Y") in message.body
    assert dsr.reference in message.subject
    assert AuditEvent.objects.filter(action="extend").count() == 1


def test_an_extension_told_by_phone_sends_no_mail(officer, system_actor):
    dsr = _request(system_actor)

    assert _extend(officer, dsr, months="1", notified_via="phone").status_code == 302

    assert _fresh(dsr).extension_months == 1
    assert not deliver_outbox()


def test_an_extension_told_after_the_first_month_is_refused_as_a_form_error(officer, system_actor):
    received = timezone.localdate() - timedelta(days=40)
    dsr = _request(system_actor, received_on=received)

    response = _extend(officer, dsr)

    assert response.status_code == 200
    errors = _error_text(response)
    assert add_months(received, 1).isoformat() in errors
    dsr = _fresh(dsr)
    assert dsr.extension_months == 0 and dsr.due_on == add_months(received, 1)
    assert not deliver_outbox()


def test_more_than_two_months_in_all_is_refused_as_a_form_error(officer, system_actor):
    dsr = _request(system_actor)
    assert _extend(officer, dsr, months="1", notified_via="phone").status_code == 302

    response = _extend(officer, dsr, months="2", notified_via="phone")

    assert response.status_code == 200
    assert "enintään kahdella kuukaudella (12 art. 3 kohta)" in _error_text(response)
    assert _fresh(dsr).extension_months == 1


def test_an_extension_needs_reasons(officer, system_actor):
    dsr = _request(system_actor)

    response = _extend(officer, dsr, reason="")

    assert response.status_code == 200
    assert 'id="extend_reason_error"' in response.content.decode()
    assert _fresh(dsr).extension_months == 0


def test_a_notification_in_the_future_is_a_field_error(officer, system_actor):
    dsr = _request(system_actor)

    response = _extend(officer, dsr, notified_on=(timezone.localdate() + timedelta(days=1)).isoformat())

    assert response.status_code == 200
    assert 'id="extend_notified_on_error"' in response.content.decode()


# --- Refuse, fee, withdraw -----------------------------------------------------------------------


def test_refusing_records_the_reasons_and_mails_them_with_the_complaint_route(officer, system_actor):
    dsr = _request(system_actor)

    response = _post(
        officer,
        dsr,
        "refuse",
        {"kind": "manifestly_unfounded", "reason": "Sama pyyntö kymmenettä kertaa."},
    )

    assert response.status_code == 302
    dsr = _fresh(dsr)
    assert (dsr.status, dsr.refusal_kind) == (Status.REFUSED, "manifestly_unfounded")
    assert dsr.decision == "Sama pyyntö kymmenettä kertaa."
    [message] = deliver_outbox()
    assert "Sama pyyntö kymmenettä kertaa." in message.body
    assert "Tietosuojavaltuutetun toimisto" in message.body
    assert "029 566 6700" in message.body and "tietosuoja@om.fi" in message.body
    assert "Lintulahdenkuja 4" in message.body and "PL 800" in message.body
    assert "https://tietosuoja.fi" in message.body
    assert "tuomioistuimen" in message.body  # other remedies: the court (Art. 79)
    html = message.alternatives[0][0]
    assert "Tietosuojavaltuutetun toimisto" in html


def test_a_refusal_without_reasons_is_a_field_error(officer, system_actor):
    dsr = _request(system_actor)

    response = _post(officer, dsr, "refuse", {"kind": "other", "reason": "   "})

    assert response.status_code == 200
    assert 'id="refuse_reason_error"' in response.content.decode()
    assert _fresh(dsr).status == Status.NEW
    assert not deliver_outbox()


def test_refusing_a_closed_request_is_an_invalid_transition(officer, system_actor):
    dsr = _request(system_actor)
    request_withdraw(actor=system_actor, request=dsr)

    response = _post(officer, dsr, "refuse", {"kind": "other", "reason": "Myöhässä."})

    assert response.status_code == 200
    assert 'class="form-errors"' in response.content.decode()
    assert _fresh(dsr).status == Status.WITHDRAWN
    assert not deliver_outbox()


def test_charging_a_fee_records_amount_and_reasons(officer, system_actor):
    dsr = _request(system_actor)

    response = _post(officer, dsr, "fee", {"amount": "25.50", "reason": "Toistuva pyyntö (Art. 12(5))."})

    assert response.status_code == 302
    dsr = _fresh(dsr)
    assert dsr.fee_cents == 2550
    assert dsr.fee_reason == "Toistuva pyyntö (Art. 12(5))."
    assert "25.50" in officer.get(f"/requests/{dsr.pk}/").content.decode()


def test_assigning_or_charging_a_fee_on_a_closed_request_is_a_form_error(officer, system_actor, cast):
    dsr = _request(system_actor)
    request_withdraw(actor=system_actor, request=dsr)

    assign = _post(officer, dsr, "assign", {"assignee": cast.privacy_officer.pk})
    fee = _post(officer, dsr, "fee", {"amount": "10", "reason": "Toistuva pyyntö."})

    for response in (assign, fee):
        assert response.status_code == 200
        assert "Pyyntö on suljettu." in _error_text(response)
    dsr = _fresh(dsr)
    assert dsr.assignee_id is None and dsr.fee_cents in (None, 0)


def test_a_fee_over_the_limit_or_without_reasons_is_a_form_error(officer, system_actor):
    dsr = _request(system_actor)

    too_much = _post(officer, dsr, "fee", {"amount": "5000", "reason": "Kallis."})
    no_reason = _post(officer, dsr, "fee", {"amount": "10", "reason": ""})

    assert 'id="fee_amount_error"' in too_much.content.decode()
    assert 'id="fee_reason_error"' in no_reason.content.decode()
    assert _fresh(dsr).fee_cents is None


def test_a_fee_on_a_closed_request_is_a_form_error(officer, system_actor):
    dsr = _request(system_actor)
    request_refuse(actor=system_actor, request=dsr, kind="other", reason="Ei.")

    response = _post(officer, dsr, "fee", {"amount": "10", "reason": "Maksu."})

    assert response.status_code == 200
    assert 'class="form-errors"' in response.content.decode()
    assert _fresh(dsr).fee_cents is None


def test_withdrawing_closes_the_request(officer, system_actor):
    dsr = _request(system_actor)

    assert _post(officer, dsr, "withdraw").status_code == 302

    dsr = _fresh(dsr)
    assert dsr.status == Status.WITHDRAWN and dsr.closed_at is not None
    [event] = AuditEvent.objects.filter(action="withdraw")
    assert json.loads(event.object_ids) == [str(dsr.pk)]


def test_withdrawing_twice_is_a_form_error(officer, system_actor):
    dsr = _request(system_actor)
    _post(officer, dsr, "withdraw")

    response = _post(officer, dsr, "withdraw")

    assert response.status_code == 200
    assert 'class="form-errors"' in response.content.decode()


def test_the_actions_accept_only_post(officer, system_actor):
    dsr = _request(system_actor)

    for action in ("verify", "assign", "start", "extend", "refuse", "fee", "withdraw", "fulfil"):
        assert officer.get(f"/requests/{dsr.pk}/{action}/").status_code == 405


# --- Fulfil -----------------------------------------------------------------------------------


def test_fulfilling_needs_a_confirmation(officer, system_actor):
    dsr = _request(system_actor)

    response = _post(officer, dsr, "fulfil")

    assert response.status_code == 200
    assert 'id="fulfil_confirm_error"' in response.content.decode()
    assert _fresh(dsr).status == Status.NEW


def test_fulfilling_an_access_request_mails_a_download_link(officer, system_actor, person):
    dsr = _request(system_actor, email="anna.virtanen@testi.fi", channel="portal", verification="portal_link")

    response = _post(officer, dsr, "fulfil", {"confirm": "on"})

    assert response.status_code == 302, _error_text(response)
    assert _fresh(dsr).status == Status.FULFILLED
    [message] = deliver_outbox()
    assert message.to == ["anna.virtanen@testi.fi"]
    assert "/portal/download/" in message.body


def test_fulfilling_an_unverified_request_is_refused_as_a_form_error(officer, system_actor, person):
    dsr = _request(system_actor, email="anna.virtanen@testi.fi", verification="")

    response = _post(officer, dsr, "fulfil", {"confirm": "on"})

    assert response.status_code == 200
    assert 'class="form-errors"' in response.content.decode()
    assert _fresh(dsr).status == Status.AWAITING_VERIFICATION
    assert not deliver_outbox()


def test_fulfilling_a_closed_request_is_refused_as_a_form_error(officer, system_actor, person):
    dsr = _request(system_actor, email="anna.virtanen@testi.fi")
    request_withdraw(actor=system_actor, request=dsr)

    response = _post(officer, dsr, "fulfil", {"confirm": "on"})

    assert response.status_code == 200
    assert 'class="form-errors"' in response.content.decode()
    assert _fresh(dsr).status == Status.WITHDRAWN


def test_fulfilling_a_rectification_corrects_the_person(officer, system_actor, person):
    dsr = _request(system_actor, type="rectification", email="anna.virtanen@testi.fi")

    response = _post(officer, dsr, "fulfil", {"confirm": "on", "title": "Toimitusjohtaja"})

    assert response.status_code == 302, _error_text(response)
    person.refresh_from_db()
    assert person.title == "Toimitusjohtaja"
    assert person.first_name == "Anna"  # an empty field keeps its value
    assert _fresh(dsr).status == Status.FULFILLED


def test_a_rectification_without_corrected_values_is_a_form_error(officer, system_actor, person):
    dsr = _request(system_actor, type="rectification", email="anna.virtanen@testi.fi")

    response = _post(officer, dsr, "fulfil", {"confirm": "on"})

    assert response.status_code == 200
    assert 'class="form-errors"' in response.content.decode()
    assert _fresh(dsr).status == Status.NEW


def test_a_rectification_to_the_values_already_recorded_is_refused_as_a_form_error(
    officer, system_actor, person
):
    dsr = _request(system_actor, type="rectification", email="anna.virtanen@testi.fi")

    response = _post(officer, dsr, "fulfil", {"confirm": "on", "first_name": "Anna"})

    assert response.status_code == 200
    assert 'class="form-errors"' in response.content.decode()
    assert _fresh(dsr).status == Status.NEW


def test_an_objection_to_legitimate_interest_opens_a_decision_and_the_officer_decides_it(
    officer, system_actor, person
):
    from rekisteri.privacy.services import basis_set

    basis_set(
        actor=system_actor,
        person=person,
        purpose="products_and_services",
        basis="legitimate_interest",
        interest_ground="employer_relationship",
    )
    dsr = _request(system_actor, type="objection", email="anna.virtanen@testi.fi")

    opened = _post(officer, dsr, "fulfil", {"confirm": "on", "objection_to": ["products_and_services"]})

    assert opened.status_code == 302, _error_text(opened)
    assert _fresh(dsr).status == Status.IN_PROGRESS
    page = officer.get(f"/requests/{dsr.pk}/").content.decode()
    assert f"/requests/{dsr.pk}/decide/" in page
    assert f"/requests/{dsr.pk}/fulfil/" not in page

    missing = _post(officer, dsr, "decide", {"outcome": "processing_stopped", "reasons": ""})
    assert 'id="decide_reasons_error"' in missing.content.decode()

    decided = _post(
        officer, dsr, "decide", {"outcome": "processing_stopped", "reasons": "Käsittely lopetetaan."}
    )

    assert decided.status_code == 302, _error_text(decided)
    assert _fresh(dsr).status == Status.FULFILLED
    assert any("Käsittely lopetetaan." in message.body for message in deliver_outbox())


def test_deciding_without_a_pending_objection_is_a_form_error(officer, system_actor):
    dsr = _request(system_actor, type="objection")

    response = _post(officer, dsr, "decide", {"outcome": "processing_stopped", "reasons": "Lopetetaan."})

    assert response.status_code == 200
    assert 'class="form-errors"' in response.content.decode()
    assert _fresh(dsr).status == Status.NEW


def test_an_erasure_blocked_by_an_obligation_to_keep_is_refused_with_reasons(officer, system_actor, person):
    from rekisteri.people.models import Person
    from rekisteri.privacy.services import basis_set

    basis_set(actor=system_actor, person=person, purpose="customer_relationship", basis="contract")
    dsr = _request(system_actor, type="erasure", email="anna.virtanen@testi.fi")

    response = _post(officer, dsr, "fulfil", {"confirm": "on"})

    assert response.status_code == 302
    dsr = _fresh(dsr)
    assert (dsr.status, dsr.refusal_kind) == (Status.REFUSED, "obligation_to_keep")
    assert Person.objects.filter(pk=person.pk).exists()
    [message] = deliver_outbox()
    assert "Tietosuojavaltuutetun toimisto" in message.body


def test_fulfilling_an_erasure_erases_the_person_and_the_request_keeps_only_its_facts(
    officer, system_actor, person
):
    from rekisteri.people.models import Person

    dsr = _request(system_actor, type="erasure", email="anna.virtanen@testi.fi", details="Poistakaa kaikki.")

    response = _post(officer, dsr, "fulfil", {"confirm": "on"})

    assert response.status_code == 302, _error_text(response)
    assert not Person.objects.filter(pk=person.pk).exists()
    stored = DataSubjectRequest.objects.get(pk=dsr.pk)
    assert stored.status == Status.FULFILLED and stored.person_id is None
    # The request's own key went with the person: the page still opens, without the values.
    page = officer.get(f"/requests/{dsr.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'class="message message--warning values-erased"' in body
    assert dsr.reference in body
    assert "anna.virtanen" not in body and "Poistakaa" not in body
