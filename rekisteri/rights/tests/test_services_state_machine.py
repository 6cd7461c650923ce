"""The request state machine (TRANSITIONS) and staff intake, through the services."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from rekisteri.audit.models import AuditEvent
from rekisteri.errors import codes
from rekisteri.outbox.tests.helpers import deliver_outbox
from rekisteri.people.services import person_create
from rekisteri.rights.models import CLOSED_STATUSES, DataSubjectRequest, Status, Verification
from rekisteri.rights.services import (
    TRANSITIONS,
    TransitionRefused,
    request_charge_fee,
    request_close_fulfilled,
    request_create,
    request_refuse,
    request_start,
    request_verify,
    request_withdraw,
)

pytestmark = pytest.mark.django_db

ALL_STATUSES = list(Status.values)


def _verified_request(actor, status: str = Status.NEW, **fields) -> DataSubjectRequest:
    request = request_create(
        actor=actor,
        type="access",
        channel="letter",
        received_on=date(2025, 1, 31),
        verification=Verification.ID_DOCUMENT,
        **fields,
    )
    # Test setup: put the request straight into the state under test.
    DataSubjectRequest.objects.filter(pk=request.pk).update(status=status)
    request.refresh_from_db()
    return request


# The service that moves a request into each state. AWAITING_VERIFICATION is only ever the
# state a request starts in, so no service leads back to it.
def _to_in_progress(actor, request):
    return request_start(actor=actor, request=request)


def _to_fulfilled(actor, request):
    return request_close_fulfilled(actor=actor, request=request, decision="Sent the package.")


def _to_refused(actor, request):
    return request_refuse(
        actor=actor, request=request, kind="manifestly_unfounded", reason="Asked daily.", notify=False
    )


def _to_withdrawn(actor, request):
    return request_withdraw(actor=actor, request=request)


SERVICE_TO = {
    Status.IN_PROGRESS: _to_in_progress,
    Status.FULFILLED: _to_fulfilled,
    Status.REFUSED: _to_refused,
    Status.WITHDRAWN: _to_withdrawn,
}
PAIRS = [(source, target) for source in ALL_STATUSES for target in SERVICE_TO]


def test_the_table_names_every_state_and_closed_states_are_final():
    assert set(TRANSITIONS) == set(ALL_STATUSES)
    for status in CLOSED_STATUSES:
        assert TRANSITIONS[status] == set()
    for status in set(ALL_STATUSES) - CLOSED_STATUSES:
        assert TRANSITIONS[status], status


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{s}->{t}" for s, t in PAIRS])
def test_each_transition_is_allowed_exactly_when_the_table_allows_it(system_actor, source, target):
    request = _verified_request(system_actor, source)
    events_before = AuditEvent.objects.count()
    if target in TRANSITIONS[source]:
        SERVICE_TO[target](system_actor, request)
        request.refresh_from_db()
        assert request.status == target
        assert (request.closed_at is not None) == (target in CLOSED_STATUSES)
        assert AuditEvent.objects.count() == events_before + 1
    else:
        with pytest.raises(TransitionRefused) as excinfo:
            SERVICE_TO[target](system_actor, request)
        assert "status" in excinfo.value.message_dict
        request.refresh_from_db()
        assert request.status == source
        assert request.closed_at is None
        assert AuditEvent.objects.count() == events_before


@pytest.mark.parametrize("source", ALL_STATUSES)
def test_verification_leaves_the_wait_only_from_awaiting_verification(system_actor, source):
    request = _verified_request(system_actor, source)
    # Not verified yet, in the state under test.
    DataSubjectRequest.objects.filter(pk=request.pk).update(verification="", verified_at=None)
    request.refresh_from_db()
    if source in CLOSED_STATUSES:
        with pytest.raises(TransitionRefused):
            request_verify(actor=system_actor, request=request, method=Verification.IN_PERSON)
        request.refresh_from_db()
        assert request.status == source
        return
    request_verify(actor=system_actor, request=request, method=Verification.IN_PERSON)
    request.refresh_from_db()
    expected = Status.NEW if source == Status.AWAITING_VERIFICATION else source
    assert request.status == expected
    assert request.verification == Verification.IN_PERSON


@pytest.mark.parametrize("source", [Status.NEW, Status.IN_PROGRESS])
def test_a_verified_identity_is_not_verified_again(system_actor, source):
    request = _verified_request(system_actor, source)
    events_before = AuditEvent.objects.count()

    with pytest.raises(TransitionRefused) as excinfo:
        request_verify(actor=system_actor, request=request, method=Verification.IN_PERSON)

    assert codes(excinfo.value) == {"verification": ["request.already_verified"]}
    request.refresh_from_db()
    assert request.verification == Verification.ID_DOCUMENT and request.status == source
    assert AuditEvent.objects.count() == events_before


def test_a_verification_found_wrong_can_still_be_recorded_as_failed(system_actor):
    request = _verified_request(system_actor, Status.NEW)

    request = request_verify(actor=system_actor, request=request, method=Verification.FAILED)

    assert request.verification == Verification.FAILED and request.verified_at is None


# --- identity first (section 8: we must identify you) -----------------------------------------


def _unverified_request(actor, verification: str = "") -> DataSubjectRequest:
    return request_create(
        actor=actor,
        type="erasure",
        channel="phone",
        received_on=date(2025, 1, 31),
        verification=verification,
    )


@pytest.mark.parametrize("verification", ["", Verification.FAILED])
def test_an_unverified_request_waits_for_verification(system_actor, verification):
    request = _unverified_request(system_actor, verification)
    request.refresh_from_db()
    assert request.status == Status.AWAITING_VERIFICATION
    assert request.verified_at is None


@pytest.mark.parametrize("status", [Status.AWAITING_VERIFICATION, Status.NEW])
def test_start_and_fulfil_are_refused_until_the_identity_is_verified(system_actor, status):
    request = _unverified_request(system_actor)
    DataSubjectRequest.objects.filter(pk=request.pk).update(status=status)
    request.refresh_from_db()
    with pytest.raises(TransitionRefused) as excinfo:
        request_start(actor=system_actor, request=request)
    assert "verification" in excinfo.value.message_dict
    with pytest.raises(TransitionRefused) as excinfo:
        request_close_fulfilled(actor=system_actor, request=request)
    assert "verification" in excinfo.value.message_dict
    request.refresh_from_db()
    assert request.status == status


def test_a_failed_verification_keeps_the_request_waiting_and_clears_the_time(system_actor):
    request = _unverified_request(system_actor)
    request_verify(actor=system_actor, request=request, method=Verification.PHONE_CALLBACK)
    request = request_verify(
        actor=system_actor, request=request, method=Verification.FAILED, note="Number not in register"
    )
    request.refresh_from_db()
    assert request.verification == Verification.FAILED
    assert request.verified_at is None
    with pytest.raises(TransitionRefused):
        request_start(actor=system_actor, request=request)


def test_verification_then_start_then_fulfil(system_actor):
    request = _unverified_request(system_actor)
    request = request_verify(actor=system_actor, request=request, method=Verification.PHONE_CALLBACK)
    assert request.status == Status.NEW and request.verified_at is not None
    request = request_start(actor=system_actor, request=request)
    request = request_close_fulfilled(actor=system_actor, request=request, decision="Erased.")
    request.refresh_from_db()
    assert request.status == Status.FULFILLED
    assert request.response_channel == "letter"  # no address: the answer goes by letter
    actions = list(
        AuditEvent.objects.filter(object_type="rights_request")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "verify", "change", "fulfil"]


def test_verify_needs_a_method(system_actor):
    request = _unverified_request(system_actor)
    for method in ["", "telepathy"]:
        with pytest.raises(ValidationError) as excinfo:
            request_verify(actor=system_actor, request=request, method=method)
        assert "verification" in excinfo.value.message_dict


# --- refusals and fees ---------------------------------------------------------------------------


def test_a_refusal_needs_reasons_and_a_known_kind(system_actor):
    request = _verified_request(system_actor)
    with pytest.raises(ValidationError) as excinfo:
        request_refuse(actor=system_actor, request=request, kind="manifestly_unfounded", reason="  ")
    assert "reason" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        request_refuse(actor=system_actor, request=request, kind="because", reason="No.")
    assert "refusal_kind" in excinfo.value.message_dict
    request.refresh_from_db()
    assert request.status == Status.NEW


def test_a_refusal_is_mailed_with_its_reasons_and_the_complaint_route(system_actor):
    request = _verified_request(system_actor, email="pyytaja@example.fi", language="en")
    request_refuse(
        actor=system_actor, request=request, kind="excessive", reason="The fifth identical request."
    )
    request.refresh_from_db()
    assert request.status == Status.REFUSED
    assert request.decision == "The fifth identical request."
    assert request.refusal_kind == "excessive"
    assert [m.to for m in deliver_outbox()] == [["pyytaja@example.fi"]]
    body = deliver_outbox()[0].body
    assert "The fifth identical request." in body
    assert "tietosuoja.fi" in body or "Office of the Data Protection Ombudsman" in body
    event = AuditEvent.objects.get(action="refuse")
    assert "fifth" not in event.detail


def test_a_fee_needs_a_positive_amount_and_reasons(system_actor):
    request = _verified_request(system_actor)
    for cents, reason, field in [
        (0, "Excessive.", "fee"),
        (100_001, "Excessive.", "fee"),
        (500, " ", "fee_reason"),
    ]:
        with pytest.raises(ValidationError) as excinfo:
            request_charge_fee(actor=system_actor, request=request, cents=cents, reason=reason)
        assert field in excinfo.value.message_dict
    request_charge_fee(actor=system_actor, request=request, cents=2500, reason="Copies on paper, again.")
    request.refresh_from_db()
    assert request.fee_cents == 2500
    assert request.fee_reason == "Copies on paper, again."


# --- staff intake ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"type": "complaint"}, "type"),
        ({"channel": "fax"}, "channel"),
        ({"channel": "email", "email": ""}, "email"),
        ({"channel": "portal", "email": ""}, "email"),
        ({"email": "not an address"}, "email"),
        ({"received_on": date(2999, 1, 1)}, "received_on"),
        ({"verification": "guess"}, "verification"),
        ({"language": "sv"}, "language"),
        ({"name": "x" * 201}, "name"),
        ({"details": "x" * 5001}, "details"),
        ({"verification_note": "x" * 1001}, "verification_note"),
    ],
)
def test_intake_refuses_bad_input_and_writes_nothing(system_actor, fields, field):
    values = {"type": "access", "channel": "letter", **fields}
    with pytest.raises(ValidationError) as excinfo:
        request_create(actor=system_actor, **values)
    assert field in excinfo.value.message_dict
    assert not DataSubjectRequest.objects.exists()
    assert not AuditEvent.objects.filter(object_type="rights_request").exists()


def test_intake_links_the_one_person_with_the_address(system_actor, person):
    request = request_create(
        actor=system_actor, type="access", channel="email", email="ANNA.virtanen@testi.fi"
    )
    request.refresh_from_db()
    assert request.person_id == person.pk
    assert request.requester_email.casefold() == "anna.virtanen@testi.fi"
    event = AuditEvent.objects.get(action="create", object_type="rights_request")
    assert str(person.pk) in event.person_ids


def test_intake_links_nobody_when_the_address_is_ambiguous(system_actor, person):
    person_create(
        actor=system_actor,
        first_name="Toinen",
        last_name="Anna",
        email="anna.virtanen@testi.fi",
        allow_duplicate=True,
    )
    request = request_create(
        actor=system_actor, type="access", channel="email", email="anna.virtanen@testi.fi"
    )
    request.refresh_from_db()
    assert request.person_id is None


def test_intake_by_staff_with_a_verified_identity_is_new_and_due_in_a_month(system_actor):
    request = request_create(
        actor=system_actor,
        type="rectification",
        channel="phone",
        name="Matti Meikäläinen",
        received_on=date(2025, 3, 31),
        verification=Verification.PHONE_CALLBACK,
        verification_note="Called back 040 000 0000.",
    )
    request.refresh_from_db()
    assert request.status == Status.NEW
    assert request.verified_at is not None
    assert request.due_on == date(2025, 4, 30)
    assert request.reference.startswith("PR-") and len(request.reference) == 9
    event = AuditEvent.objects.get(action="create", object_type="rights_request")
    assert "Matti" not in event.detail and "040" not in event.detail
