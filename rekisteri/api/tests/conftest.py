"""An API client per staff member of the cast, authenticated with a real bearer token."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from rekisteri.accounts.services import token_create
from rekisteri.audit.models import AuditEvent

BASE = "/api/v1"


class ApiClient:
    """JSON requests to /api/v1 with the given Authorization header (or none)."""

    def __init__(self, authorization: str | None = None):
        self.client = Client()
        self.headers = {"Authorization": authorization} if authorization else {}

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: str | bytes | None = None,
        params: dict | None = None,
    ):
        url = path if path.startswith(BASE) else BASE + path
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        if method == "GET":
            return self.client.get(url, params or {}, headers=self.headers)
        return self.client.generic(method, url, data, content_type="application/json", headers=self.headers)

    def get(self, path: str, **params):
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None, **kwargs):
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs):
        return self.request("PUT", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs):
        return self.request("PATCH", path, body, **kwargs)

    def delete(self, path: str):
        return self.request("DELETE", path)


@pytest.fixture
def raw_token(db, system_actor):
    def make(user) -> str:
        return token_create(actor=system_actor, user=user, name="test")[1]

    return make


@pytest.fixture
def api_as(raw_token):
    """api_as(user) -> a client sending that user's freshly created token."""

    def make(user) -> ApiClient:
        return ApiClient(f"Bearer {raw_token(user)}")

    return make


@pytest.fixture
def anonymous() -> ApiClient:
    return ApiClient()


def api_events(**filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(origin="api", **filters).order_by("seq"))


def assert_error(response, status: int, *, field: str | None = None, code: str | None = None) -> dict:
    """The response is the API's one error shape with this status (and names the field)."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "errors", "code"}
    assert isinstance(body["detail"], str) and body["detail"]
    if code is not None:
        assert body["code"] == code
    if field is not None:
        assert field in [error["field"] for error in body["errors"]], body
    return body
