"""POST /persons/{id}/authority-disclosures: the privacy officer's record of a disclosure to an
authority with its legal basis (section 6); refused without a basis and for other roles."""

from __future__ import annotations

import pytest

from rekisteri.api.tests.conftest import assert_error
from rekisteri.privacy.models import Disclosure, Recipient

pytestmark = pytest.mark.django_db


def _body(**values):
    authority = Recipient.objects.get(kind="authority")
    return {
        "recipient_id": authority.pk,
        "legal_reference": "OK 17:40, käräjäoikeuden päätös R 26/123",
        "categories": ["name", "email"],
        **values,
    }


def test_the_privacy_officer_records_it_and_the_log_shows_it(api_as, cast, person):
    client = api_as(cast.privacy_officer)
    response = client.post(
        f"/persons/{person.pk}/authority-disclosures", _body(authority_name="Käräjäoikeus")
    )
    assert response.status_code == 201, response.content
    assert response.json()["basis"] == "legal_obligation"
    [row] = client.get(f"/persons/{person.pk}/disclosures").json()
    assert row["recipient"] == "Käräjäoikeus" and row["recipient_kind"] == "authority"
    assert row["legal_reference"].startswith("OK 17:40")


def test_without_a_basis_or_to_a_non_authority_it_is_a_rule_violation(api_as, cast, person):
    client = api_as(cast.privacy_officer)
    assert_error(
        client.post(f"/persons/{person.pk}/authority-disclosures", _body(legal_reference=" ")),
        422,
        field="legal_reference",
    )
    processor = Recipient.objects.filter(kind="processor").first()
    assert_error(
        client.post(f"/persons/{person.pk}/authority-disclosures", _body(recipient_id=processor.pk)),
        422,
        field="recipient",
        code="rule_violation",
    )
    assert not Disclosure.objects.exists()


def test_other_roles_are_refused(api_as, cast, person):
    for user in (cast.sales, cast.crm, cast.marketing, cast.trainer, cast.admin):
        assert_error(api_as(user).post(f"/persons/{person.pk}/authority-disclosures", _body()), 403)
    assert not Disclosure.objects.exists()
