"""Every staff member against every page and every API endpoint.

The expected role sets below are the access policy written out by hand (section 11:
least privilege), independently of roles.py, so a change to either shows up here. A page
or endpoint missing from this table fails `test_every_route_is_in_the_matrix`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from rekisteri.accounts.services import token_create
from rekisteri.api.router import api
from rekisteri.audit.actor import Actor
from rekisteri.organizations.services import organization_create
from rekisteri.people.services import person_create
from rekisteri.rights.services import request_create

pytestmark = pytest.mark.django_db

ALL = {"sales", "crm", "marketing", "trainer", "privacy_officer", "admin"}
EDITORS = {"sales", "crm", "admin"}


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str  # with {person} / {organization} placeholders
    allowed: frozenset
    body: dict | None = None


UI_ROUTES = [
    Route("web:dashboard", "GET", "/", frozenset(ALL)),
    Route("web:search", "GET", "/search/?q=Virtanen", frozenset(ALL)),
    Route("web:person_new", "GET", "/people/new/", frozenset(EDITORS)),
    Route("web:person_card", "GET", "/people/{person}/", frozenset(ALL)),
    Route("web:person_edit", "GET", "/people/{person}/edit/", frozenset(EDITORS | {"privacy_officer"})),
    Route("web:person_delete", "GET", "/people/{person}/delete/", frozenset({"privacy_officer", "admin"})),
    Route(
        "web:interaction_new", "GET", "/people/{person}/interactions/new/", frozenset(EDITORS | {"trainer"})
    ),
    Route("web:basis_new", "GET", "/people/{person}/bases/new/", frozenset(EDITORS)),
    Route("web:source_new", "GET", "/people/{person}/sources/new/", frozenset(EDITORS)),
    Route(
        "web:restriction_lift",
        "POST",
        "/people/{person}/restriction/lift/",
        frozenset({"privacy_officer"}),
        body={"reason": "Tiedot tarkistettu"},
    ),
    Route("web:organizations", "GET", "/organizations/", frozenset(ALL)),
    Route("web:organization_new", "GET", "/organizations/new/", frozenset(EDITORS)),
    Route("web:organization_suggest", "GET", "/organizations/suggest/?q=Tam", frozenset(ALL)),
    Route("web:organization_detail", "GET", "/organizations/{organization}/", frozenset(ALL)),
    Route("web:organization_edit", "GET", "/organizations/{organization}/edit/", frozenset(EDITORS)),
    Route(
        "web:organization_responsible",
        "POST",
        "/organizations/{organization}/responsible/",
        frozenset(EDITORS),
        body={},
    ),
    Route("web:audit", "GET", "/audit/", frozenset({"privacy_officer"})),
    Route("web:audit_verify", "POST", "/audit/verify/", frozenset({"privacy_officer"}), body={}),
    # The register of data-subject requests (section 8) is the privacy officer's alone.
    Route("rights:request_list", "GET", "/requests/", frozenset({"privacy_officer"})),
    Route("rights:request_new", "GET", "/requests/new/", frozenset({"privacy_officer"})),
    Route("rights:request_detail", "GET", "/requests/{request}/", frozenset({"privacy_officer"})),
    *[
        Route(
            f"rights:request_{action}",
            "POST",
            f"/requests/{{request}}/{action}/",
            frozenset({"privacy_officer"}),
            body={},
        )
        for action in ("verify", "assign", "start", "extend", "refuse", "fee", "withdraw", "fulfil", "decide")
    ],
]
# The data-subject portal is public by design: no login, and it reveals nothing of the register.
PUBLIC_ROUTES = {"portal:home", "portal:verify", "portal:download", "portal:download_file"}

API_ROUTES = [
    Route("GET /persons", "GET", "/api/v1/persons?q=Virtanen", frozenset(ALL)),
    Route(
        "POST /persons",
        "POST",
        "/api/v1/persons",
        frozenset(EDITORS),
        body={"first_name": "Uusi", "last_name": "Henkilö"},
    ),
    Route("GET /persons/{person_id}", "GET", "/api/v1/persons/{person}", frozenset(ALL)),
    Route(
        "PATCH /persons/{person_id}",
        "PATCH",
        "/api/v1/persons/{person}",
        frozenset(EDITORS | {"privacy_officer"}),
        body={"title": "Johtaja"},
    ),
    Route(
        "DELETE /persons/{person_id}",
        "DELETE",
        "/api/v1/persons/{person}",
        frozenset({"privacy_officer", "admin"}),
    ),
    Route(
        "GET /persons/{person_id}/interactions",
        "GET",
        "/api/v1/persons/{person}/interactions",
        frozenset(ALL),
    ),
    Route(
        "POST /persons/{person_id}/interactions",
        "POST",
        "/api/v1/persons/{person}/interactions",
        frozenset(EDITORS | {"trainer"}),
        body={"kind": "call", "text": "Soitto"},
    ),
    Route("GET /organizations", "GET", "/api/v1/organizations", frozenset(ALL)),
    Route(
        "POST /organizations",
        "POST",
        "/api/v1/organizations",
        frozenset(EDITORS),
        body={"name": "Uusi Oy", "business_id": "0245974-7"},
    ),
    Route(
        "GET /organizations/{organization_id}", "GET", "/api/v1/organizations/{organization}", frozenset(ALL)
    ),
    Route(
        "PUT /organizations/{organization_id}",
        "PUT",
        "/api/v1/organizations/{organization}",
        frozenset(EDITORS),
        body={"name": "Matriisi Oy", "city": "Turku"},
    ),
    Route(
        "PATCH /organizations/{organization_id}",
        "PATCH",
        "/api/v1/organizations/{organization}",
        frozenset(EDITORS),
        body={"city": "Turku"},
    ),
    Route(
        "DELETE /organizations/{organization_id}",
        "DELETE",
        "/api/v1/organizations/{organization}",
        frozenset({"crm", "admin"}),
    ),
    # Data-subject requests (section 8): the privacy officer's alone.
    Route("GET /requests", "GET", "/api/v1/requests?overdue=true", frozenset({"privacy_officer"})),
    Route(
        "POST /requests",
        "POST",
        "/api/v1/requests",
        frozenset({"privacy_officer"}),
        body={"type": "access", "channel": "letter", "name": "Venla Virtanen"},
    ),
    Route("GET /requests/{request_id}", "GET", "/api/v1/requests/{request}", frozenset({"privacy_officer"})),
    *[
        Route(
            f"POST /requests/{{request_id}}/{action}",
            "POST",
            f"/api/v1/requests/{{request}}/{action}",
            frozenset({"privacy_officer"}),
            body=body,
        )
        for action, body in (
            ("verify", {"method": "in_person"}),
            ("assign", {"assignee_id": None}),
            ("start", None),
            ("extend", {"months": 1, "reason": "Busy.", "notified_on": "2025-01-01"}),
            ("refuse", {"reason": "Unfounded."}),
            ("fee", {"fee_cents": 100, "fee_reason": "Excessive."}),
            ("withdraw", None),
            ("fulfil", None),
        )
    ],
]

ROLE_OF = {
    "sales": "sales",
    "crm": "crm",
    "marketing": "marketing",
    "trainer": "trainer",
    "privacy_officer": "privacy_officer",
    "admin": "admin",
}
WITHOUT_ACCESS = ["sales_no_nda", "nda_in_future", "inactive", "outsider", "superuser_no_nda"]


def _fresh_targets(organization) -> dict[str, str]:
    # Each request gets its own organization and person, so destructive routes leave the
    # next request something to see.
    actor = Actor.system("test", origin="cli")
    organization = organization_create(actor=actor, name="Matriisi Oy", city="Tampere")
    person = person_create(
        actor=actor,
        first_name="Venla",
        last_name="Virtanen",
        email="venla.virtanen@testi.fi",
        organization=organization,
    )
    request = request_create(
        actor=actor,
        type="access",
        channel="email",
        email="venla.virtanen@testi.fi",
        name="Venla Virtanen",
        verification="email_known_address",
    )
    return {"person": str(person.pk), "organization": str(organization.pk), "request": str(request.pk)}


def _ui_request(user, route: Route, targets: dict[str, str]):
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    path = route.path.format(**targets)
    if route.method == "GET":
        return client.get(path)
    return client.post(path, route.body or {})


def _api_request(user, route: Route, targets: dict[str, str]):
    raw = token_create(actor=Actor.system("test", origin="cli"), user=user)[1]
    client = Client()
    path = route.path.format(**targets)
    headers = {"Authorization": f"Bearer {raw}"}
    if route.method == "GET":
        return client.get(path, headers=headers)
    body = json.dumps(route.body) if route.body is not None else ""
    return client.generic(route.method, path, body, content_type="application/json", headers=headers)


def _check(cast, organization, route: Route, send: Callable):
    for attr, role in ROLE_OF.items():
        user = getattr(cast, attr)
        response = send(user, route, _fresh_targets(organization))
        if role in route.allowed:
            assert response.status_code < 400 or response.status_code in (404, 409, 422), (
                f"{role} should reach {route.name}: {response.status_code}"
            )
            assert response.status_code not in (401, 403), f"{role} refused at {route.name}"
        else:
            assert response.status_code == 403, (
                f"{role} should be refused at {route.name}: {response.status_code}"
            )
    for attr in WITHOUT_ACCESS:
        user = getattr(cast, attr)
        response = send(user, route, _fresh_targets(organization))
        assert response.status_code in (302, 401, 403), f"{attr} got {response.status_code} at {route.name}"
        body = response.content.decode("utf-8", "replace")
        assert "Venla" not in body and "venla.virtanen" not in body, (
            f"{attr} saw personal data at {route.name}"
        )


@pytest.mark.parametrize("route", UI_ROUTES, ids=lambda r: r.name)
def test_ui_permission_matrix(cast, organization, route):
    _check(cast, organization, route, _ui_request)


@pytest.mark.parametrize("route", API_ROUTES, ids=lambda r: r.name)
def test_api_permission_matrix(cast, organization, route):
    _check(cast, organization, route, _api_request)


def _url_names(patterns, prefix="") -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names |= _url_names(
                pattern.url_patterns, f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            )
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(prefix + pattern.name)
    return names


def test_every_route_is_in_the_matrix():
    public = {"accounts:login", "accounts:logout", "set_language"} | PUBLIC_ROUTES
    web = {name for name in _url_names(get_resolver().url_patterns) if name.startswith(("web:", "rights:"))}
    assert web == {route.name for route in UI_ROUTES}
    assert not (
        _url_names(get_resolver().url_patterns)
        - web
        - public
        - {n for n in _url_names(get_resolver().url_patterns) if n.startswith("api:")}
    )
    schema = api.get_openapi_schema()
    operations = {
        f"{method.upper()} {path.removeprefix('/api/v1')}"
        for path, methods in schema["paths"].items()
        for method in methods
    }
    assert operations == {route.name for route in API_ROUTES}
