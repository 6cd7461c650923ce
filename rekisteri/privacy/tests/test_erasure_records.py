"""Every erasure keeps its proof in a record the privacy officer sees, staff deletions too
(issue 13, section 4): the erasures page and /api/v1/erasures."""

from __future__ import annotations

import pytest
from django.test import Client

from rekisteri.accounts.services import token_create
from rekisteri.api.tests.conftest import ApiClient
from rekisteri.privacy.models import ErasureRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_as(system_actor):
    return lambda user: ApiClient(f"Bearer {token_create(actor=system_actor, user=user, name='t')[1]}")


def test_a_person_deleted_through_the_api_leaves_a_staff_erasure_with_its_proof(cast, api_as, person):
    assert api_as(cast.privacy_officer).delete(f"/persons/{person.pk}").status_code == 204

    record = ErasureRecord.objects.get(person_id=person.pk)
    officer = f"user:{cast.privacy_officer.pk}"
    assert (record.reason, record.erased_by, record.persons) == ("other", officer, 1)
    assert record.evidence["keys"]["data_key_id"] == str(person.pk)
    assert record.evidence["rows"]["people.Person"] == 1

    body = api_as(cast.privacy_officer).get("/erasures", origin="staff").json()
    assert body["total"] == 1
    (item,) = body["items"]
    assert (item["id"], item["origin"], item["person_id"]) == (str(record.pk), "staff", str(person.pk))
    assert item["evidence"] == record.evidence
    assert api_as(cast.privacy_officer).get("/erasures", origin="request").json()["total"] == 0
    one = api_as(cast.privacy_officer).get(f"/erasures/{record.pk}").json()
    assert one["evidence"]["proof_id"] == str(record.pk)


def test_the_erasures_page_lists_a_staff_deletion_with_its_proof(cast, person):
    client = Client()
    client.force_login(cast.privacy_officer, backend="django.contrib.auth.backends.ModelBackend")
    form = {"confirm": "on", "reason": "duplicate", "override_reason": ""}
    response = client.post(f"/people/{person.pk}/delete/", form)
    assert response.status_code in (302, 303), response.status_code
    record = ErasureRecord.objects.get(person_id=person.pk)

    page = client.get("/erasures/?origin=staff", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert f'id="erasure-{record.pk}"' in page and str(person.pk) in page
    assert "erasure-evidence" in page and "Deleted by staff" in page


def test_an_unknown_erasure_is_a_404_and_an_unknown_origin_a_422(cast, api_as):
    api = api_as(cast.privacy_officer)
    assert api.get("/erasures/00000000-0000-4000-8000-000000000000").status_code == 404
    assert api.get("/erasures", origin="nobody").status_code == 422
