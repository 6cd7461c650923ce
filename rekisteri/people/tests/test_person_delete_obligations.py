"""Art. 17(3) on the staff deletion paths: a contract, a legal obligation or a legal hold
refuses the deletion unless the privacy officer overrides with reasons."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

import pytest
from django.test import Client

from rekisteri.accounts.services import token_create
from rekisteri.audit.models import AuditEvent
from rekisteri.people.models import DeletionOverride, Person
from rekisteri.privacy.services import basis_set
from rekisteri.retention.services import hold_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def under_contract(person, system_actor):
    basis_set(actor=system_actor, person=person, purpose="customer_relationship", basis="contract")
    return person


def _api(user, system_actor) -> Client:
    raw = token_create(actor=system_actor, user=user, name="t")[1]
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_the_api_refuses_to_delete_a_person_under_a_contract(under_contract, cast, system_actor):
    for user in (cast.admin, cast.privacy_officer):
        response = _api(user, system_actor).delete(f"/api/v1/persons/{under_contract.pk}")
        assert response.status_code == 409, response.content
        assert response.json()["code"] == "obligation_to_keep"
        assert "customer_relationship: contract" in response.json()["detail"]
    assert Person.objects.filter(pk=under_contract.pk).exists()


def test_an_administrator_cannot_override_even_with_reasons(under_contract, cast, system_actor):
    response = _api(cast.admin, system_actor).delete(
        f"/api/v1/persons/{under_contract.pk}?override_reason=" + quote("Sopimus päättyi")
    )
    assert response.status_code == 409
    assert Person.objects.filter(pk=under_contract.pk).exists()


def test_the_privacy_officer_overrides_with_reasons_and_the_decision_is_kept(
    under_contract, cast, system_actor
):
    response = _api(cast.privacy_officer, system_actor).delete(
        f"/api/v1/persons/{under_contract.pk}?override_reason=" + quote("Sopimus päättyi 2025, KO 7/2026")
    )
    assert response.status_code == 204
    assert not Person.objects.filter(pk=under_contract.pk).exists()
    override = DeletionOverride.objects.get(person_id=under_contract.pk)
    assert override.obstacles == ["customer_relationship: contract"]
    assert (override.reason, override.decided_by) == ("Sopimus päättyi 2025, KO 7/2026", cast.privacy_officer)
    assert AuditEvent.objects.filter(action="override", object_type="deletion_override").exists()


def test_a_legal_hold_refuses_the_deletion_in_the_ui(person, cast, system_actor):
    hold_create(
        actor=system_actor, person=person, kind="legal_claim", reason="KO 9/2026", ends_on=date(2099, 1, 1)
    )
    client = Client()
    client.force_login(cast.admin, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(f"/people/{person.pk}/delete/").content.decode()
    assert "legal_hold: legal_claim until 2099-01-01" in page

    response = client.post(f"/people/{person.pk}/delete/", {"reason": "other", "confirm": "on"})

    assert response.status_code == 200
    assert "Art. 17(3)" in response.content.decode() or "17 art" in response.content.decode()
    assert Person.objects.filter(pk=person.pk).exists()


def test_the_privacy_officer_overrides_a_hold_in_the_ui(person, cast, system_actor):
    hold_create(
        actor=system_actor, person=person, kind="legal_claim", reason="KO 9/2026", ends_on=date(2099, 1, 1)
    )
    client = Client()
    client.force_login(cast.privacy_officer, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        f"/people/{person.pk}/delete/",
        {"reason": "other", "confirm": "on", "override_reason": "Vaade sovittu 1.12.2026"},
    )
    assert response.status_code == 302
    assert not Person.objects.filter(pk=person.pk).exists()


def test_a_person_without_obligations_is_deleted_as_before(person, cast, system_actor):
    assert _api(cast.admin, system_actor).delete(f"/api/v1/persons/{person.pk}").status_code == 204
    assert not DeletionOverride.objects.exists()


def test_a_staff_deletion_leaves_an_art_19_task_for_each_recipient(person, cast, system_actor):
    from rekisteri.privacy.disclosure import disclosure_record
    from rekisteri.privacy.models import GroupCompany, RecipientNotification

    company = GroupCompany.objects.get(name="Insta DefSec Oy")
    disclosure_record(actor=system_actor, person=person, recipient_company=company, categories=["name"])
    disclosure_record(
        actor=system_actor, person=person, recipient_name="Uutiskirjepalvelu", categories=["email"]
    )

    assert _api(cast.admin, system_actor).delete(f"/api/v1/persons/{person.pk}").status_code == 204

    tasks = RecipientNotification.objects.filter(person_id=person.pk, event="erasure", completed_at=None)
    assert {task.recipient_name for task in tasks} == {"Insta DefSec Oy", "Uutiskirjepalvelu"}
    assert not Person.objects.filter(pk=person.pk).exists()


def test_a_staff_deletion_of_someone_never_disclosed_leaves_no_task(person, cast, system_actor):
    from rekisteri.privacy.models import RecipientNotification

    assert _api(cast.admin, system_actor).delete(f"/api/v1/persons/{person.pk}").status_code == 204
    assert not RecipientNotification.objects.exists()


def test_a_deletion_the_erasure_would_refuse_leaves_no_art_19_task_behind(person, system_actor):
    from rekisteri.people.services import person_delete
    from rekisteri.privacy.disclosure import disclosure_record
    from rekisteri.privacy.erasure import ErasureRefused
    from rekisteri.privacy.models import RecipientNotification

    disclosure_record(
        actor=system_actor, person=person, recipient_name="Uutiskirjepalvelu", categories=["email"]
    )
    # Refused before anything is written: no recipient is told of an erasure that did not happen.
    with pytest.raises(ErasureRefused):
        person_delete(actor=system_actor, person=person, reason="other", request_ref="x" * 101)

    assert not RecipientNotification.objects.exists()
    assert Person.objects.filter(pk=person.pk).exists()
