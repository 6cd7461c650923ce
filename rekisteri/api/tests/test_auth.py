"""Bearer tokens and the section 11 gate: only active staff with a signed NDA get in."""

from __future__ import annotations

import pytest

from rekisteri.accounts.services import token_create, token_revoke
from rekisteri.api.tests.conftest import ApiClient, api_events, assert_error


@pytest.mark.parametrize("path", ["/persons", "/organizations"])
def test_a_request_without_a_token_is_refused_with_401(anonymous, cast, path):
    response = anonymous.get(path)
    assert_error(response, 401, code="not_authenticated")
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer rk_not-a-real-token",
        "Bearer ",
        "Bearer",
        "Token rk_whatever",
        "Basic dXNlcjpwYXNz",
        "Bearer " + "rk_" + "x" * 5000,
        "bearer rk_\u00e4\u00e4",
    ],
)
def test_an_unknown_or_malformed_token_is_refused_with_401(cast, authorization):
    response = ApiClient(authorization).get("/persons")
    assert_error(response, 401, code="not_authenticated")


def test_a_revoked_token_is_refused_with_401(cast, system_actor):
    token, raw = token_create(actor=system_actor, user=cast.sales)
    client = ApiClient(f"Bearer {raw}")
    assert client.get("/persons").status_code == 200
    token_revoke(actor=system_actor, token=token)
    assert_error(client.get("/persons"), 401, code="not_authenticated")


def test_a_session_login_does_not_authenticate_the_api(cast):
    client = ApiClient()
    client.client.force_login(cast.sales)
    assert_error(client.get("/persons"), 401)


@pytest.mark.parametrize("who", ["sales_no_nda", "nda_in_future", "inactive", "outsider", "superuser_no_nda"])
def test_staff_without_a_signed_nda_in_force_see_no_personal_data(cast, api_as, person, who):
    client = api_as(getattr(cast, who))
    for response in (
        client.get("/persons"),
        client.get(f"/persons/{person.pk}"),
        client.get("/organizations"),
        client.post("/persons", {"first_name": "A", "last_name": "B"}),
    ):
        body = assert_error(response, 403, code="no_personal_data_access")
        assert "Anna" not in response.content.decode()
        assert body["detail"]  # the reason, as the UI shows it
    assert api_events(actor_user_id=getattr(cast, who).pk) == []


def test_the_refusal_gives_the_reason_in_the_requested_language(cast, api_as):
    client = api_as(cast.sales_no_nda)
    client.headers["Accept-Language"] = "en"
    body = assert_error(client.get("/persons"), 403, code="no_personal_data_access")
    assert "confidentiality agreement" in body["detail"]


def test_every_role_with_an_nda_may_read_persons(cast, api_as, person):
    for user in cast.with_access():
        assert api_as(user).get("/persons").status_code == 200, user


def test_a_missing_permission_is_named_in_the_403(cast, api_as):
    body = assert_error(
        api_as(cast.marketing).post("/persons", {"first_name": "A", "last_name": "B"}),
        403,
        code="permission_denied",
    )
    assert "people.add_person" in body["detail"]
