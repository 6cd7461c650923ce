"""What the OpenAPI document says about input is what the API accepts.

The schemathesis run (tests/api_fuzz) finds disagreements by search; these pin down the
rules that make them agree, one by one, so a change that breaks one fails here first.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from django.test import Client

from rekisteri.api.schemas import _MULTILINE_PATTERN, _SINGLE_LINE_PATTERN, _check_characters
from rekisteri.api.tests.conftest import assert_error


def _schema() -> dict:
    return Client().get("/api/v1/openapi.json").json()


@pytest.mark.parametrize(
    ("pattern", "allowed_controls"),
    [(_SINGLE_LINE_PATTERN, set()), (_MULTILINE_PATTERN, {"\n", "\r", "\t"})],
)
def test_the_text_patterns_refuse_exactly_what_the_validators_refuse(pattern, allowed_controls):
    # ECMA's $ is the end of the text; Python's also matches before a final line break.
    compiled = re.compile(pattern.removesuffix("$") + r"\Z")
    for code_point in range(0x110000):
        if 0xD800 <= code_point <= 0xDFFF:
            continue  # unpaired surrogates: not text, refused by the validator alone
        character = chr(code_point)
        try:
            _check_characters(character, allowed_controls)
            valid = True
        except ValueError:
            valid = False
        assert bool(compiled.match(character)) is valid, hex(code_point)
        if unicodedata.category(character) != "Cc":
            assert valid


def test_every_operation_lists_the_answers_the_machinery_can_give(db):
    for path, operations in _schema()["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert {"401", "403", "410"} <= statuses, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= statuses, (method, path)
            if any(parameter["in"] == "path" for parameter in operation.get("parameters", [])):
                assert "404" in statuses, (method, path)
            for status, answer in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert answer["content"]["application/json"]["schema"]["$ref"].startswith(
                        "#/components/schemas/"
                    ), (method, path, status)


def test_no_constraint_is_lost_from_the_document(db):
    # Pydantic writes a constraint it cannot express in JSON Schema as "ge"/"le", which no
    # validator reads: the document would then allow what the API refuses.
    text = str(_schema())
    assert not re.search(r"'(ge|le|gt|lt)': ", text)


def test_a_patch_field_that_takes_no_null_is_documented_without_null(db):
    patch = _schema()["components"]["schemas"]["PersonPatch"]["properties"]
    assert patch["first_name"]["type"] == "string" and "anyOf" not in patch["first_name"]
    assert "default" not in patch["first_name"]
    assert {"type": "null"} in patch["email"]["anyOf"]


def test_an_integer_with_a_zero_fraction_is_an_integer_but_text_and_booleans_are_not(cast, api_as, person):
    client = api_as(cast.sales)
    accepted = client.patch(f"/persons/{person.pk}", {"organization_id": float(person.organization_id)})
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["organization_id"] == person.organization_id
    for value in (str(person.organization_id), True, person.organization_id + 0.5):
        response = client.patch(f"/persons/{person.pk}", {"organization_id": value})
        assert_error(response, 422, field="organization_id", code="validation_error")


def test_a_repeated_query_parameter_is_refused_not_silently_narrowed(cast, api_as):
    response = api_as(cast.sales).request("GET", "/persons?limit=x&limit=10")
    assert_error(response, 422, field="limit", code="validation_error")


def test_input_of_the_documented_shape_that_a_rule_refuses_is_a_rule_violation(cast, api_as):
    # organization_id has the right shape but names nothing: only the register can tell.
    response = api_as(cast.sales).get("/persons", organization_id="999999")
    assert_error(response, 422, field="organization_id", code="rule_violation")


def test_the_error_shape_documents_each_errors_code(db):
    item = _schema()["components"]["schemas"]["ErrorItem"]
    assert set(item["properties"]) == {"field", "message", "code"}
    assert set(item["required"]) == {"field", "message"}


def test_a_rule_violation_names_the_service_errors_code_beside_its_english_message(cast, api_as):
    response = api_as(cast.sales).get("/persons", organization_id="999999")
    body = assert_error(response, 422, field="organization_id", code="rule_violation")
    assert body["errors"] == [
        {"field": "organization_id", "message": "No such organization.", "code": "organization.unknown"}
    ]


def test_a_rule_violation_is_english_even_when_the_client_asks_for_finnish(cast, api_as):
    client = api_as(cast.sales)
    client.headers["Accept-Language"] = "fi"
    response = client.post(
        "/persons", {"first_name": "Anna", "last_name": "Virtanen", "email": "not an address"}
    )
    body = assert_error(response, 422, field="email", code="rule_violation")
    assert body["errors"][0]["code"] == "email.invalid"
    assert body["errors"][0]["message"].startswith("Enter a valid e-mail address")
