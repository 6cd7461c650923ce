"""Property: whatever JSON a client sends, the API answers below 500, in the one error shape."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rekisteri.api.tests.conftest import ApiClient

PERSON_KEYS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "organization_id",
    "title",
    "self_given_info",
    "categories",
]
ORGANIZATION_KEYS = [
    "name",
    "business_id",
    "business_id_country",
    "street_address",
    "postal_code",
    "city",
    "country",
    "status",
    "owner_company_id",
    "responsible_staff_ids",
]

# Text with everything a database or normaliser may choke on: NUL, controls, surrogates, digits.
texts = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0xFFFF), max_size=30),
    st.sampled_from(
        [
            "",
            " ",
            "040 123 4567",
            "+358401234567",
            "a@b.fi",
            "@",
            "0154088-5",
            "1234567-8",
            "student",
            "customer",
            "FI",
            "SE",
            "x" * 300,
            "\x00",
            "\ud800",
        ]
    ),
)
# What a query string can carry: percent-decoding never yields a lone surrogate.
query_texts = texts.filter(lambda value: not any(0xD800 <= ord(ch) <= 0xDFFF for ch in value))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=12,
)


def _bodies(keys: list[str]):
    return st.one_of(
        st.dictionaries(st.sampled_from(keys), json_values, max_size=len(keys)),
        st.dictionaries(st.one_of(st.sampled_from(keys), texts), json_values, max_size=5),
        json_values,
    )


def _assert_handled(response) -> None:
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    if response.status_code >= 400:
        assert set(response.json()) == {"detail", "errors", "code"}


def _send(client: ApiClient, method: str, path: str, body) -> None:
    # allow_nan: NaN and Infinity are not JSON, but Python's parser (and so ninja's) accepts them.
    _assert_handled(client.request(method, path, raw=json.dumps(body, allow_nan=True)))


FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(body=_bodies(PERSON_KEYS))
def test_no_json_body_posted_to_persons_causes_a_server_error(cast, api_as, body):
    _send(api_as(cast.sales), "POST", "/persons", body)


@FUZZ
@given(body=_bodies(PERSON_KEYS))
def test_no_json_body_patched_onto_a_person_causes_a_server_error(cast, api_as, person, body):
    _send(api_as(cast.sales), "PATCH", f"/persons/{person.pk}", body)


@FUZZ
@given(body=_bodies(ORGANIZATION_KEYS))
def test_no_json_body_posted_to_organizations_causes_a_server_error(cast, api_as, body):
    _send(api_as(cast.crm), "POST", "/organizations", body)


@FUZZ
@given(
    query=query_texts,
    limit=st.one_of(st.integers(), query_texts),
    offset=st.one_of(st.integers(), query_texts),
)
def test_no_search_query_causes_a_server_error(cast, api_as, query, limit, offset):
    client = api_as(cast.sales)
    for path in ("/persons", "/organizations"):
        _assert_handled(client.get(path, q=query, limit=limit, offset=offset))
