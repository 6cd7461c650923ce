"""POST /api/v1/requests and the actions on one request: the state machine as 409s, the
Art. 12(3) rules as 422s naming "extension", every malformed input a 4xx naming its field."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from rekisteri.accounts.services import token_create
from rekisteri.api.tests.conftest import ApiClient, assert_error
from rekisteri.audit.models import AuditEvent
from rekisteri.outbox.tests.helpers import deliver_outbox
from rekisteri.rights.models import DataSubjectRequest, Status, Verification
from rekisteri.rights.services import request_create, request_withdraw

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(system_actor):
    def make(user) -> ApiClient:
        return ApiClient(f"Bearer {token_create(actor=system_actor, user=user, name='test')[1]}")

    return make


@pytest.fixture
def officer(cast, as_user) -> ApiClient:
    return as_user(cast.privacy_officer)


def _request(
    actor, *, verified: bool = True, received_on: date | None = None, **fields
) -> DataSubjectRequest:
    fields.setdefault("type", "access")
    fields.setdefault("channel", "letter")
    return request_create(
        actor=actor,
        received_on=received_on or timezone.localdate() - timedelta(days=3),
        verification=Verification.ID_DOCUMENT if verified else "",
        **fields,
    )


@pytest.fixture
def verified(system_actor) -> DataSubjectRequest:
    return _request(system_actor, email="pyytaja@example.fi")


@pytest.fixture
def unverified(system_actor) -> DataSubjectRequest:
    return _request(system_actor, verified=False)


# --- registering -----------------------------------------------------------------------------------


def test_staff_register_a_letter_with_a_verified_identity(officer, cast):
    response = officer.post(
        "/requests",
        {
            "type": "erasure",
            "channel": "letter",
            "email": "Kirje.Lahettaja@Example.fi",
            "name": "Kirsi Kirjoittaja",
            "details": "Poistakaa tietoni.\nKiitos.",
            "received_on": "2025-01-31",
            "verification": "id_document",
            "verification_note": "Passport checked at the front desk.",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["due_on"] == "2025-02-28"
    assert body["status"] == Status.NEW
    assert body["verified"] is True
    assert body["reference"].startswith("PR-")
    request = DataSubjectRequest.objects.get(pk=body["id"])
    assert request.requester_name == "Kirsi Kirjoittaja"
    assert request.details == "Poistakaa tietoni.\nKiitos."
    event = AuditEvent.objects.get(action="create", object_type="rights_request")
    assert (event.origin, event.actor_user_id) == ("api", cast.privacy_officer.pk)
    assert "Kirsi" not in event.detail and "Lahettaja" not in event.detail


def test_a_request_without_verification_waits(officer):
    response = officer.post("/requests", {"type": "access", "channel": "phone"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == Status.AWAITING_VERIFICATION
    assert body["verified"] is False
    assert body["received_on"] == timezone.localdate().isoformat()


def test_a_request_can_name_its_person(officer, person):
    response = officer.post(
        "/requests", {"type": "restriction", "channel": "phone", "person_id": str(person.pk)}
    )
    assert response.status_code == 201, response.content
    assert response.json()["person_id"] == str(person.pk)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "letter"}, "type"),
        ({"type": "complaint", "channel": "letter"}, "type"),
        ({"type": "access"}, "channel"),
        ({"type": "access", "channel": "fax"}, "channel"),
        ({"type": "access", "channel": "email"}, "email"),
        ({"type": "access", "channel": "letter", "email": "not-an-address"}, "email"),
        ({"type": "access", "channel": "letter", "email": 42}, "email"),
        ({"type": "access", "channel": "letter", "received_on": "2999-01-01"}, "received_on"),
        ({"type": "access", "channel": "letter", "received_on": "2025-02-30"}, "received_on"),
        ({"type": "access", "channel": "letter", "received_on": 1738281600}, "received_on"),
        ({"type": "access", "channel": "letter", "received_on": "1850-01-01"}, "received_on"),
        ({"type": "access", "channel": "letter", "language": "sv"}, "language"),
        ({"type": "access", "channel": "letter", "verification": "guess"}, "verification"),
        ({"type": "access", "channel": "letter", "name": "x" * 201}, "name"),
        ({"type": "access", "channel": "letter", "name": "Nul\x00Byte"}, "name"),
        ({"type": "access", "channel": "letter", "details": "x" * 5001}, "details"),
        ({"type": "access", "channel": "letter", "verification_note": "\ud800"}, "verification_note"),
        ({"type": "access", "channel": "letter", "person_id": "nobody"}, "person_id"),
        (
            {"type": "access", "channel": "letter", "person_id": "00000000-0000-0000-0000-000000000000"},
            "person_id",
        ),
        ({"type": "access", "channel": "letter", "colour": "blue"}, "colour"),
    ],
)
def test_malformed_registrations_are_422s_naming_the_field_and_write_nothing(officer, body, field):
    assert_error(officer.post("/requests", body), 422, field=field)
    assert not DataSubjectRequest.objects.exists()


@pytest.mark.parametrize(("raw", "status"), [("{not json", 400), ("[]", 422), ('"text"', 422), ("", 422)])
def test_a_body_that_is_not_an_object_is_a_4xx_naming_the_body(officer, raw, status):
    assert_error(officer.post("/requests", raw=raw), status, field="body")


def test_other_roles_cannot_register_or_act(cast, as_user, verified):
    for role in ("sales", "crm", "marketing", "trainer", "admin"):
        client = as_user(getattr(cast, role))
        assert_error(client.post("/requests", {"type": "access", "channel": "letter"}), 403)
        assert_error(client.post(f"/requests/{verified.pk}/withdraw"), 403)
    verified.refresh_from_db()
    assert verified.status == Status.NEW


# --- verify, assign, start --------------------------------------------------------------------------


def test_verify_moves_a_waiting_request_on(officer, unverified):
    response = officer.post(
        f"/requests/{unverified.reference}/verify", {"method": "phone_callback", "note": "Called back."}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.NEW
    unverified.refresh_from_db()
    assert unverified.verification == Verification.PHONE_CALLBACK
    assert unverified.verification_note == "Called back."


def test_verify_refuses_an_unknown_method_and_a_closed_request(officer, system_actor, unverified):
    assert_error(officer.post(f"/requests/{unverified.pk}/verify", {"method": "hunch"}), 422, field="method")
    assert_error(officer.post(f"/requests/{unverified.pk}/verify", {}), 422, field="method")
    request_withdraw(actor=system_actor, request=unverified)
    assert_error(
        officer.post(f"/requests/{unverified.pk}/verify", {"method": "in_person"}),
        409,
        code="invalid_transition",
        field="status",
    )


def test_verifying_twice_is_a_conflict(officer, unverified):
    assert officer.post(f"/requests/{unverified.pk}/verify", {"method": "phone_callback"}).status_code == 200

    body = assert_error(
        officer.post(f"/requests/{unverified.pk}/verify", {"method": "in_person"}),
        409,
        code="invalid_transition",
        field="verification",
    )

    assert body["detail"] == "The requester's identity is already verified."
    unverified.refresh_from_db()
    assert unverified.verification == Verification.PHONE_CALLBACK
    assert AuditEvent.objects.filter(action="verify").count() == 1


def test_assign_to_the_privacy_officer_and_back(officer, cast, verified):
    response = officer.post(f"/requests/{verified.pk}/assign", {"assignee_id": cast.privacy_officer.pk})
    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == cast.privacy_officer.get_username()
    response = officer.post(f"/requests/{verified.pk}/assign", {"assignee_id": None})
    assert response.json()["assignee_id"] is None


def test_assign_refuses_someone_who_may_not_handle_requests(officer, cast, verified):
    for user in (cast.sales, cast.sales_no_nda, cast.outsider):
        assert_error(
            officer.post(f"/requests/{verified.pk}/assign", {"assignee_id": user.pk}),
            422,
            field="assignee_id",
        )
    for value in (999_999, "1", 0, True):
        assert_error(
            officer.post(f"/requests/{verified.pk}/assign", {"assignee_id": value}), 422, field="assignee_id"
        )
    verified.refresh_from_db()
    assert verified.assignee_id is None


def test_start_needs_a_verified_identity(officer, unverified):
    body = assert_error(
        officer.post(f"/requests/{unverified.pk}/start"), 409, code="invalid_transition", field="verification"
    )
    assert "verified" in body["detail"]
    unverified.refresh_from_db()
    assert unverified.status == Status.AWAITING_VERIFICATION


def test_start_then_start_again_is_a_conflict(officer, verified):
    response = officer.post(f"/requests/{verified.pk}/start")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.IN_PROGRESS
    assert_error(
        officer.post(f"/requests/{verified.pk}/start"), 409, code="invalid_transition", field="status"
    )


@pytest.mark.parametrize(
    "action", ["verify", "assign", "start", "extend", "refuse", "fee", "withdraw", "fulfil"]
)
def test_actions_on_an_unknown_request_are_404s(officer, action):
    response = officer.post(f"/requests/00000000-0000-0000-0000-000000000000/{action}", {})
    assert response.status_code in (404, 422)  # a body the action needs may be checked first
    if response.status_code == 404:
        assert_error(response, 404, code="not_found")


# --- extend (Art. 12(3)) ------------------------------------------------------------------------------


def _extend_body(**overrides):
    body = {
        "months": 1,
        "reason": "Records in two systems must be searched.",
        "notified_on": timezone.localdate().isoformat(),
        "notified_via": "letter",
    }
    body.update(overrides)
    return body


def test_extend_moves_the_due_date_and_records_how_the_requester_was_told(officer, verified):
    response = officer.post(f"/requests/{verified.pk}/extend", _extend_body(months=2))
    assert response.status_code == 200, response.content
    body = response.json()
    received = verified.received_on
    assert body["extension_months"] == 2
    assert body["extension_notified_on"] == timezone.localdate().isoformat()
    assert body["extension_notified_via"] == "letter"
    assert body["extension_reason"] == "Records in two systems must be searched."
    from rekisteri.lib.deadlines import response_due

    assert body["due_on"] == response_due(received, 2).isoformat()


def test_a_third_month_is_a_422_naming_extension(officer, verified):
    assert officer.post(f"/requests/{verified.pk}/extend", _extend_body(months=2)).status_code == 200
    assert_error(
        officer.post(f"/requests/{verified.pk}/extend", _extend_body(months=1)), 422, field="extension"
    )
    assert_error(
        officer.post(f"/requests/{verified.pk}/extend", _extend_body(months=3)), 422, field="extension"
    )
    verified.refresh_from_db()
    assert verified.extension_months == 2


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_extension_without_reasons_is_a_422_naming_extension(officer, verified, reason):
    assert_error(
        officer.post(f"/requests/{verified.pk}/extend", _extend_body(reason=reason)), 422, field="extension"
    )
    body = _extend_body()
    del body["reason"]
    assert_error(officer.post(f"/requests/{verified.pk}/extend", body), 422, field="extension")


def test_an_extension_told_after_the_first_month_is_a_422_naming_extension(officer, system_actor):
    request = _request(system_actor, received_on=timezone.localdate() - timedelta(days=70))
    body = assert_error(
        officer.post(f"/requests/{request.pk}/extend", _extend_body()), 422, field="extension"
    )
    assert "first month" in body["detail"]
    request.refresh_from_db()
    assert request.extension_months == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"months": "1"}, "months"),
        ({"months": 1.5}, "months"),
        ({"months": -1}, "months"),
        ({"notified_on": None}, "notified_on"),
        ({"notified_on": "yesterday"}, "notified_on"),
        ({"notified_on": "2999-01-01"}, "notified_on"),
        ({"notified_via": "portal"}, "notified_via"),
        ({"reason": "x" * 2001}, "reason"),
    ],
)
def test_malformed_extensions_name_their_field(officer, verified, overrides, field):
    assert_error(officer.post(f"/requests/{verified.pk}/extend", _extend_body(**overrides)), 422, field=field)
    verified.refresh_from_db()
    assert verified.extension_months == 0


def test_a_closed_request_cannot_be_extended(officer, system_actor, verified):
    request_withdraw(actor=system_actor, request=verified)
    assert_error(
        officer.post(f"/requests/{verified.pk}/extend", _extend_body()), 409, code="invalid_transition"
    )


# --- refuse, fee, withdraw ------------------------------------------------------------------------------


def test_refuse_records_the_reasons_and_mails_them(officer, verified):
    response = officer.post(
        f"/requests/{verified.pk}/refuse",
        {"refusal_kind": "manifestly_unfounded", "reason": "The same request every day for a month."},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == Status.REFUSED
    assert body["refusal_kind"] == "manifestly_unfounded"
    assert body["decision"] == "The same request every day for a month."
    assert [m.to for m in deliver_outbox()] == [["pyytaja@example.fi"]]
    assert "The same request every day" in deliver_outbox()[0].body
    assert_error(
        officer.post(f"/requests/{verified.pk}/refuse", {"reason": "Again."}), 409, code="invalid_transition"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "reason"),
        ({"reason": "  "}, "reason"),
        ({"reason": "No.", "refusal_kind": "because"}, "refusal_kind"),
    ],
)
def test_a_refusal_needs_reasons_and_a_known_kind(officer, verified, body, field):
    assert_error(officer.post(f"/requests/{verified.pk}/refuse", body), 422, field=field)
    verified.refresh_from_db()
    assert verified.status == Status.NEW


def test_a_fee_is_recorded_with_its_reasons(officer, verified):
    response = officer.post(
        f"/requests/{verified.pk}/fee", {"fee_cents": 2500, "fee_reason": "Paper copies, third time."}
    )
    assert response.status_code == 200, response.content
    assert (response.json()["fee_cents"], response.json()["fee_reason"]) == (
        2500,
        "Paper copies, third time.",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fee_reason": "Excessive."}, "fee_cents"),
        ({"fee_cents": 0, "fee_reason": "Excessive."}, "fee_cents"),
        ({"fee_cents": 100_001, "fee_reason": "Excessive."}, "fee_cents"),
        ({"fee_cents": "25", "fee_reason": "Excessive."}, "fee_cents"),
        ({"fee_cents": 2500}, "fee_reason"),
        ({"fee_cents": 2500, "fee_reason": " "}, "fee_reason"),
    ],
)
def test_a_malformed_fee_names_its_field(officer, verified, body, field):
    assert_error(officer.post(f"/requests/{verified.pk}/fee", body), 422, field=field)
    verified.refresh_from_db()
    assert verified.fee_cents is None


def test_a_closed_request_gets_no_fee(officer, system_actor, verified):
    request_withdraw(actor=system_actor, request=verified)
    assert_error(
        officer.post(f"/requests/{verified.pk}/fee", {"fee_cents": 100, "fee_reason": "x"}),
        409,
        code="invalid_transition",
    )


def test_withdraw_then_withdraw_again_is_a_conflict(officer, unverified):
    response = officer.post(f"/requests/{unverified.pk}/withdraw")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.WITHDRAWN
    assert response.json()["closed_at"] is not None
    assert_error(officer.post(f"/requests/{unverified.pk}/withdraw"), 409, code="invalid_transition")
    actions = list(
        AuditEvent.objects.filter(object_type="rights_request", origin="api").values_list("action", flat=True)
    )
    assert actions == ["withdraw"]


# --- fulfil ---------------------------------------------------------------------------------------------


def test_fulfil_needs_a_verified_identity(officer, unverified):
    assert_error(
        officer.post(f"/requests/{unverified.pk}/fulfil"),
        409,
        code="invalid_transition",
        field="verification",
    )
    unverified.refresh_from_db()
    assert unverified.status == Status.AWAITING_VERIFICATION


def test_fulfil_an_access_request_by_letter(officer, system_actor, person):
    request = _request(system_actor, person_id=person.pk)
    response = officer.post(f"/requests/{request.pk}/fulfil")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == Status.FULFILLED
    assert body["response_channel"] == "letter"
    assert_error(
        officer.post(f"/requests/{request.pk}/fulfil"), 409, code="invalid_transition", field="status"
    )


def test_fulfil_an_erasure(officer, system_actor, person):
    from rekisteri.people.models import Person

    request = _request(system_actor, type="erasure", person_id=person.pk, email="anna.virtanen@testi.fi")
    response = officer.post(f"/requests/{request.pk}/fulfil")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == Status.FULFILLED
    assert body["person_id"] is None  # detached: the record proves the erasure
    assert not Person.objects.filter(pk=person.pk).exists()
    # Nothing of the person stays readable in the request either: its own key is gone.
    assert body["values_erased"] is True
    assert body["requester_email"] == body["decision"] == ""
    assert "anna" not in response.content.decode()
    again = officer.get(f"/requests/{request.reference}")
    assert again.status_code == 200, again.content
    assert again.json()["values_erased"] is True
    assert again.json()["reference"] == request.reference


def test_fulfil_a_rectification_with_its_changes(officer, system_actor, person):
    request = _request(system_actor, type="rectification", person_id=person.pk)
    assert_error(officer.post(f"/requests/{request.pk}/fulfil"), 422, field="changes")
    assert_error(officer.post(f"/requests/{request.pk}/fulfil", {"changes": {"shoe_size": 42}}), 422)
    response = officer.post(f"/requests/{request.pk}/fulfil", {"changes": {"title": "Ostopäällikkö"}})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.FULFILLED
    person.refresh_from_db()
    assert person.title == "Ostopäällikkö"


def test_fulfil_an_objection_names_only_known_purposes(officer, system_actor, person):
    request = _request(system_actor, type="objection", person_id=person.pk)
    assert_error(
        officer.post(f"/requests/{request.pk}/fulfil", {"objection_to": ["astrology"]}),
        422,
        field="objection_to",
    )
    response = officer.post(f"/requests/{request.pk}/fulfil", {"objection_to": ["direct_marketing"]})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.FULFILLED
