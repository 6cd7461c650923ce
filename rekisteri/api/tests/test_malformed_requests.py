"""No malformed request reaches a 500: every one is a 4xx in the one error shape, naming the field."""

from __future__ import annotations

import pytest

from rekisteri.api.tests.conftest import assert_error
from rekisteri.organizations.models import Organization
from rekisteri.people.models import Person

HUGE = 10**30
VALID_PERSON = {"first_name": "Anna", "last_name": "Testi"}

# (body, status, field) for POST /persons. Raw strings are sent as they are.
PERSON_BODIES = [
    (b"", 422, "body"),
    (b"{", 400, "body"),
    (b"{bad json}", 400, "body"),
    (b"\xff\xfe\x00", 400, "body"),
    (b"[" * 100_000, 400, "body"),
    (b"[]", 422, "body"),
    (b"[1, 2]", 422, "body"),
    (b'"a string"', 422, "body"),
    (b"123", 422, "body"),
    (b"true", 422, "body"),
    (b"null", 422, "body"),
    (b'{"first_name": NaN, "last_name": "B"}', 422, "first_name"),
    (b'{"first_name": "\\ud800", "last_name": "B"}', 422, "first_name"),
    (b'{"first_name": "A\\u0000", "last_name": "B"}', 422, "first_name"),
    ({"first_name": 1, "last_name": "B"}, 422, "first_name"),
    ({"first_name": ["A"], "last_name": "B"}, 422, "first_name"),
    ({"first_name": {"a": 1}, "last_name": "B"}, 422, "first_name"),
    ({"first_name": "A" * 101, "last_name": "B"}, 422, "first_name"),
    ({"first_name": "A\tB", "last_name": "B"}, 422, "first_name"),
    ({"first_name": "", "last_name": "B"}, 422, "first_name"),
    ({"last_name": "B"}, 422, "first_name"),
    ({**VALID_PERSON, "email": 5}, 422, "email"),
    ({**VALID_PERSON, "email": "a@" + "b" * 300 + ".fi"}, 422, "email"),
    ({**VALID_PERSON, "email": "no-at-sign"}, 422, "email"),
    ({**VALID_PERSON, "email": "a@b@c"}, 422, "email"),
    ({**VALID_PERSON, "email": "anna@xn--.fi"}, 422, "email"),
    ({**VALID_PERSON, "phone": "abc"}, 422, "phone"),
    ({**VALID_PERSON, "phone": "12"}, 422, "phone"),
    ({**VALID_PERSON, "phone": "+" + "9" * 39}, 422, "phone"),
    ({**VALID_PERSON, "phone": "9" * 41}, 422, "phone"),
    ({**VALID_PERSON, "phone": 401234567}, 422, "phone"),
    ({**VALID_PERSON, "organization_id": "1"}, 422, "organization_id"),
    ({**VALID_PERSON, "organization_id": True}, 422, "organization_id"),
    ({**VALID_PERSON, "organization_id": 1.5}, 422, "organization_id"),
    ({**VALID_PERSON, "organization_id": HUGE}, 422, "organization_id"),
    ({**VALID_PERSON, "organization_id": 2**63}, 422, "organization_id"),
    ({**VALID_PERSON, "organization_id": -1}, 422, "organization_id"),
    ({**VALID_PERSON, "organization_id": 0}, 422, "organization_id"),
    ({**VALID_PERSON, "organization_id": 2**63 - 1}, 422, "organization_id"),
    ({**VALID_PERSON, "categories": "student"}, 422, "categories"),
    ({**VALID_PERSON, "categories": ["alumni"]}, 422, "categories.0"),
    ({**VALID_PERSON, "categories": [1]}, 422, "categories.0"),
    ({**VALID_PERSON, "categories": ["student"] * 4}, 422, "categories"),
    ({**VALID_PERSON, "title": None}, 422, "title"),
    ({**VALID_PERSON, "self_given_info": "x" * 5001}, 422, "self_given_info"),
    ({**VALID_PERSON, "id": "5f0c8a4e-0000-0000-0000-000000000000"}, 422, "id"),
    ({**VALID_PERSON, "email_lookup": "x"}, 422, "email_lookup"),
    ({**VALID_PERSON, "created_by": 1}, 422, "created_by"),
]


@pytest.mark.parametrize(("body", "status", "field"), PERSON_BODIES)
def test_a_malformed_person_body_is_a_4xx_naming_the_field(cast, api_as, body, status, field):
    client = api_as(cast.sales)
    if isinstance(body, bytes):
        response = client.post("/persons", raw=body)
    else:
        response = client.post("/persons", body)
    assert_error(response, status, field=field)
    assert not Person.objects.exists()


def test_a_body_over_the_upload_limit_is_a_413(cast, api_as, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = api_as(cast.sales).post("/persons", {**VALID_PERSON, "self_given_info": "x" * 20_000})
    assert_error(response, 413, field="body", code="payload_too_large")


ORGANIZATION_BODIES = [
    ({"name": "X", "business_id": "1234567-8"}, "business_id"),
    ({"name": "X", "business_id": "1234567"}, "business_id"),
    ({"name": "X", "business_id": "SE" * 20, "business_id_country": "SE"}, "business_id"),
    ({"name": "X", "business_id": "SE123", "business_id_country": "SE"}, "business_id"),
    ({"name": "X", "business_id": "!!", "business_id_country": "DE"}, "business_id"),
    ({"name": "X", "business_id_country": "1A"}, "business_id_country"),
    ({"name": "X", "business_id_country": "FIN"}, "business_id_country"),
    ({"name": "X", "business_id_country": "ÅÄ"}, "business_id_country"),
    ({"name": "X", "business_id_country": None}, "business_id_country"),
    ({"name": "X", "country": "Suomi"}, "country"),
    ({"name": "X", "status": "enemy"}, "status"),
    ({"name": "X", "status": None}, "status"),
    ({"name": "X", "owner_company_id": "1"}, "owner_company_id"),
    ({"name": "X", "owner_company_id": HUGE}, "owner_company_id"),
    ({"name": "X", "owner_company_id": 987654}, "owner_company_id"),
    ({"name": "X", "responsible_staff_ids": "1"}, "responsible_staff_ids"),
    ({"name": "X", "responsible_staff_ids": [0]}, "responsible_staff_ids.0"),
    ({"name": "X", "responsible_staff_ids": [HUGE]}, "responsible_staff_ids.0"),
    ({"name": "X", "responsible_staff_ids": [987654]}, "responsible_staff_ids"),
    ({"name": "X", "responsible_staff_ids": list(range(1, 200))}, "responsible_staff_ids"),
    ({"name": "X", "postal_code": "0" * 21}, "postal_code"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "N" * 201}, "name"),
    ({"name": "X\x00"}, "name"),
    ({}, "name"),
]


@pytest.mark.parametrize(("body", "field"), ORGANIZATION_BODIES)
def test_a_malformed_organization_body_is_a_422_naming_the_field(cast, api_as, organization, body, field):
    client = api_as(cast.crm)
    assert_error(client.post("/organizations", body), 422, field=field)
    assert_error(client.put(f"/organizations/{organization.pk}", body), 422, field=field)
    if body:
        assert_error(client.patch(f"/organizations/{organization.pk}", body), 422, field=field)
    assert Organization.objects.count() == 1
    organization.refresh_from_db()
    assert organization.name == "Tampereen Testi Oy"


INTERACTION_BODIES = [
    ({"kind": "note"}, "text"),
    ({"text": "x"}, "kind"),
    ({"kind": "note", "text": "x" * 10_001}, "text"),
    ({"kind": "note", "text": "x", "occurred_at": "yesterday"}, "occurred_at"),
    ({"kind": "note", "text": "x", "occurred_at": "2025-02-30T10:00:00"}, "occurred_at"),
    ({"kind": "note", "text": "x", "occurred_at": "0001-01-01T00:00:00+05:00"}, "occurred_at"),
    ({"kind": "note", "text": "x", "occurred_at": "9999-12-31T23:59:59-14:00"}, "occurred_at"),
    ({"kind": "note", "text": "x", "occurred_at": 1e20}, "occurred_at"),
    ({"kind": "note", "text": "x", "occurred_at": -1e12}, "occurred_at"),
    ({"kind": "note", "text": "x", "occurred_at": 1700000000}, "occurred_at"),
    ({"kind": "note", "text": "x", "occurred_at": "1850-01-01"}, "occurred_at"),
    ({"kind": "note", "text": "x\x07"}, "text"),
    ({"kind": ["note"], "text": "x"}, "kind"),
]


@pytest.mark.parametrize(("body", "field"), INTERACTION_BODIES)
def test_a_malformed_interaction_body_is_a_422_naming_the_field(cast, api_as, person, body, field):
    assert_error(api_as(cast.sales).post(f"/persons/{person.pk}/interactions", body), 422, field=field)
    assert not person.interactions.exists()


# (method, path, status, field): bad ids in the path (a 404: such a path names nothing, like an
# unknown id), wrong methods, unknown paths.
PATHS = [
    ("GET", "/persons/not-a-uuid", 404, None),
    ("GET", "/persons/12345678-1234-1234-1234-1234567890123", 404, None),
    ("GET", "/persons/%00", 404, None),
    ("GET", "/persons/%F0%9F%98%80", 404, None),
    ("PATCH", "/persons/not-a-uuid", 404, None),
    ("DELETE", "/persons/1", 403, None),  # sales may not delete: refused before the id is read
    ("GET", "/persons/not-a-uuid/interactions", 404, None),
    ("GET", "/organizations/abc", 404, None),
    ("GET", "/organizations/0", 404, None),
    ("GET", "/organizations/-1", 404, None),
    ("GET", "/organizations/1.5", 404, None),
    ("GET", "/organizations/99999999999999999999999", 404, None),
    ("GET", "/organizations/9223372036854775808", 404, None),
    ("GET", "/organizations/9223372036854775807", 404, None),
    ("PUT", "/persons", 405, None),
    ("POST", "/organizations/1", 405, None),
    ("DELETE", "/persons/00000000-0000-0000-0000-000000000000/interactions", 405, None),
    ("GET", "/persons/", 404, None),
    ("GET", "/persons/00000000-0000-0000-0000-000000000000/interactions/extra", 404, None),
    ("GET", "/nothing-here", 404, None),
    ("POST", "/nothing-here", 404, None),
    ("GET", "/", 404, None),
]


@pytest.mark.parametrize(("method", "path", "status", "field"), PATHS)
def test_a_bad_path_or_method_is_a_json_4xx(cast, api_as, method, path, status, field):
    response = api_as(cast.sales).request(method, path, {} if method != "GET" else None)
    assert_error(response, status, field=field)


QUERIES = [
    ("/persons", {"limit": "abc"}, "limit"),
    ("/persons", {"limit": "1e3"}, "limit"),
    ("/persons", {"limit": ""}, "limit"),
    ("/persons", {"limit": "0"}, "limit"),
    ("/persons", {"limit": "100000"}, "limit"),
    ("/persons", {"offset": "-1"}, "offset"),
    ("/persons", {"offset": str(HUGE)}, "offset"),
    ("/persons", {"q": "\x00"}, "q"),
    ("/persons", {"q": "a" * 201}, "q"),
    ("/persons", {"organization_id": "x"}, "organization_id"),
    ("/persons", {"organization_id": str(HUGE)}, "organization_id"),
    ("/organizations", {"limit": "-3"}, "limit"),
    ("/organizations", {"q": "\x1b[31m"}, "q"),
    ("/persons/{person}/interactions", {"offset": "many"}, "offset"),
]


@pytest.mark.parametrize(("path", "params", "field"), QUERIES)
def test_bad_query_parameters_are_422_naming_the_parameter(cast, api_as, person, path, params, field):
    response = api_as(cast.sales).get(path.format(person=person.pk), **params)
    assert_error(response, 422, field=field)


ODD_BUT_VALID_SEARCHES = [
    "@",
    "a@",
    "@@",
    "%ff",
    "\ufffd",
    "😀",
    "1" * 200,
    "+",
    "   ",
    "'; DROP TABLE x; --",
    "ann\\",
    "_%",
    "0" * 5,
    "+358",
    "a b c d e f g h i j",
]


@pytest.mark.parametrize("query", ODD_BUT_VALID_SEARCHES)
def test_odd_search_terms_are_answered_not_crashed_on(cast, api_as, person, query):
    for path in ("/persons", "/organizations"):
        response = api_as(cast.sales).get(path, q=query)
        assert response.status_code == 200, response.content
        assert "total" in response.json()


def test_an_unexpected_bug_is_still_a_json_500_without_internals(cast, api_as, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("rekisteri.people.api.person_list", broken)
    body = assert_error(api_as(cast.sales).get("/persons"), 500, code="server_error")
    assert "secret" not in body["detail"]


def test_a_lost_uniqueness_race_is_a_409(cast, api_as, monkeypatch):
    from django.db import IntegrityError

    def racing(**kwargs):
        raise IntegrityError("duplicate key")

    monkeypatch.setattr("rekisteri.organizations.api.organization_create", racing)
    assert_error(api_as(cast.sales).post("/organizations", {"name": "X"}), 409, code="conflict")
