"""Property: whatever JSON the privacy officer's client sends to /api/v1/requests, the answer
is below 500 and in the one error shape."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rekisteri.accounts.services import token_create
from rekisteri.api.tests.conftest import ApiClient
from rekisteri.api.tests.test_fuzz import FUZZ, _assert_handled, _bodies, _send, query_texts
from rekisteri.rights.services import request_create

REQUEST_KEYS = [
    "type",
    "channel",
    "email",
    "name",
    "details",
    "received_on",
    "language",
    "verification",
    "verification_note",
    "person_id",
]
ACTION_KEYS = [
    "method",
    "note",
    "assignee_id",
    "months",
    "reason",
    "notified_on",
    "notified_via",
    "refusal_kind",
    "fee_cents",
    "fee_reason",
    "changes",
    "objection_to",
]
ACTIONS = ["verify", "assign", "start", "extend", "refuse", "fee", "withdraw", "fulfil"]


@pytest.fixture
def api_as(db, system_actor):
    def make(user) -> ApiClient:
        return ApiClient(f"Bearer {token_create(actor=system_actor, user=user, name='test')[1]}")

    return make


@FUZZ
@given(body=_bodies(REQUEST_KEYS))
def test_no_json_body_posted_to_requests_causes_a_server_error(cast, api_as, body):
    _send(api_as(cast.privacy_officer), "POST", "/requests", body)


@FUZZ
@given(action=st.sampled_from(ACTIONS), body=_bodies(ACTION_KEYS))
def test_no_json_body_posted_to_an_action_causes_a_server_error(cast, api_as, system_actor, action, body):
    request = request_create(
        actor=system_actor,
        type="access",
        channel="email",
        email="pyytaja@example.fi",
        verification="in_person",
    )
    _send(api_as(cast.privacy_officer), "POST", f"/requests/{request.pk}/{action}", body)


@FUZZ
@given(
    status=query_texts,
    overdue=query_texts,
    due_within_days=st.one_of(st.integers(), query_texts),
    key=query_texts,
)
def test_no_filter_or_id_causes_a_server_error(cast, api_as, status, overdue, due_within_days, key):
    client = api_as(cast.privacy_officer)
    _assert_handled(client.get("/requests", status=status, overdue=overdue, due_within_days=due_within_days))
    if key.strip() and "/" not in key and "?" not in key and "#" not in key:
        _assert_handled(client.get(f"/requests/{key}"))
