"""GET /api/v1/requests and /api/v1/requests/{id}: the privacy officer's register, audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from rekisteri.accounts.services import token_create
from rekisteri.api.tests.conftest import ApiClient, assert_error
from rekisteri.audit.models import AuditEvent
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


def _request(actor, *, received_on: date, type: str = "access", **fields) -> DataSubjectRequest:
    fields.setdefault("verification", Verification.ID_DOCUMENT)
    return request_create(actor=actor, type=type, channel="letter", received_on=received_on, **fields)


@pytest.fixture
def register(system_actor):
    """An overdue one, one due in 3 days, one due in 20 days, and a withdrawn overdue one."""
    today = timezone.localdate()
    requests = {
        "overdue": _request(system_actor, received_on=today - timedelta(days=40), type="erasure"),
        "soon": _request(system_actor, received_on=today - timedelta(days=27)),
        "later": _request(system_actor, received_on=today - timedelta(days=10), type="portability"),
        "closed": _request(system_actor, received_on=today - timedelta(days=45)),
    }
    DataSubjectRequest.objects.filter(pk=requests["soon"].pk).update(due_on=today + timedelta(days=3))
    DataSubjectRequest.objects.filter(pk=requests["later"].pk).update(due_on=today + timedelta(days=20))
    request_withdraw(actor=system_actor, request=requests["closed"])
    return requests


def _references(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["reference"] for item in response.json()["items"]]


def test_the_list_is_ordered_by_due_date_with_a_total(officer, register):
    response = officer.get("/requests")
    body = response.json()
    assert _references(response) == [
        register[key].reference for key in ("closed", "overdue", "soon", "later")
    ]
    assert (body["total"], body["limit"], body["offset"]) == (4, 50, 0)


def test_the_list_shows_no_personal_values(officer, system_actor):
    _request(
        system_actor, received_on=timezone.localdate(), email="salainen@example.fi", name="Salla Salainen"
    )
    item = officer.get("/requests").json()["items"][0]
    assert "salainen" not in str(item).casefold()
    assert set(item) >= {"id", "reference", "type", "status", "due_on", "overdue", "verified"}


def test_the_list_pages(officer, register):
    first = officer.get("/requests", limit=2).json()
    second = officer.get("/requests", limit=2, offset=2).json()
    assert first["total"] == second["total"] == 4
    assert len(first["items"]) == len(second["items"]) == 2
    assert {item["id"] for item in first["items"]}.isdisjoint(item["id"] for item in second["items"])


def test_overdue_lists_only_open_requests_past_their_due_date(officer, register):
    response = officer.get("/requests", overdue="true")
    assert _references(response) == [register["overdue"].reference]
    assert response.json()["items"][0]["overdue"] is True


def test_due_within_days_lists_open_requests_due_by_then_overdue_included(officer, register):
    assert _references(officer.get("/requests", due_within_days=7)) == [
        register["overdue"].reference,
        register["soon"].reference,
    ]
    assert len(_references(officer.get("/requests", due_within_days=30))) == 3
    assert _references(officer.get("/requests", due_within_days=7, overdue="true")) == [
        register["overdue"].reference
    ]


def test_status_and_type_filters(officer, register):
    assert _references(officer.get("/requests", status="withdrawn")) == [register["closed"].reference]
    assert _references(officer.get("/requests", type="portability")) == [register["later"].reference]
    assert _references(officer.get("/requests", open_only="true")) == [
        register[key].reference for key in ("overdue", "soon", "later")
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"type": "complaint"}, "type"),
        ({"overdue": "maybe"}, "overdue"),
        ({"due_within_days": "-1"}, "due_within_days"),
        ({"due_within_days": "367"}, "due_within_days"),
        ({"due_within_days": "seven"}, "due_within_days"),
        ({"limit": "0"}, "limit"),
        ({"offset": "-5"}, "offset"),
    ],
)
def test_bad_filters_are_422s_naming_the_parameter(officer, params, field):
    assert_error(officer.get("/requests", **params), 422, field=field, code="validation_error")


def test_the_list_is_audited_with_the_ids_shown(officer, cast, register):
    officer.get("/requests", overdue="true")
    event = AuditEvent.objects.filter(action="list", object_type="rights_request").get()
    assert event.actor_user_id == cast.privacy_officer.pk
    assert event.origin == "api"
    assert event.object_ids == f'["{register["overdue"].pk}"]'
    assert event.purpose == "rights_and_obligations"


def test_one_request_by_id_or_reference_with_its_values_and_an_audit_event(officer, system_actor, cast):
    request = _request(
        system_actor,
        received_on=date(2025, 1, 31),
        email="pyytaja@example.fi",
        name="Pekka Pyytäjä",
        details="Kaikki tiedot, kiitos.",
    )
    for key in (str(request.pk), request.reference, request.reference.lower()):
        response = officer.get(f"/requests/{key}")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["id"] == str(request.pk)
        assert body["requester_email"] == "pyytaja@example.fi"
        assert body["requester_name"] == "Pekka Pyytäjä"
        assert body["details"] == "Kaikki tiedot, kiitos."
        assert body["due_on"] == "2025-02-28"
        assert body["status"] == Status.NEW
        assert body["verification"] == Verification.ID_DOCUMENT
    views = AuditEvent.objects.filter(action="view", object_type="rights_request", origin="api")
    assert views.count() == 3
    assert all(event.object_ids == f'["{request.pk}"]' for event in views)
    assert all("Pekka" not in event.detail and "pyytaja" not in event.detail for event in views)


@pytest.mark.parametrize(
    "key", ["00000000-0000-0000-0000-000000000000", "PR-NOPE00", "x", "%00", "PR-%C3%A4", "%20PR"]
)
def test_an_unknown_request_is_a_404(officer, key):
    assert_error(officer.get(f"/requests/{key}"), 404, code="not_found")
    assert not AuditEvent.objects.filter(action="view").exists()


def test_a_too_long_id_names_nothing(officer):
    assert_error(officer.get("/requests/" + "A" * 37), 404, code="not_found")


@pytest.mark.parametrize("role", ["sales", "crm", "marketing", "trainer", "admin"])
def test_other_roles_are_refused(cast, as_user, register, role):
    client = as_user(getattr(cast, role))
    assert_error(client.get("/requests"), 403, code="permission_denied")
    assert_error(client.get(f"/requests/{register['soon'].pk}"), 403, code="permission_denied")


def test_the_nda_gate_and_tokens_apply(cast, as_user, anonymous_client, register):
    assert_error(anonymous_client.get("/requests"), 401, code="not_authenticated")
    assert_error(ApiClient("Bearer rk_nonsense").get("/requests"), 401)
    for user in cast.without_access():
        response = as_user(user).get(f"/requests/{register['soon'].pk}")
        assert response.status_code in (401, 403)
        assert "requester_email" not in response.content.decode()


@pytest.fixture
def anonymous_client() -> ApiClient:
    return ApiClient()
