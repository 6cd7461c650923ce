"""Section 6: a disclosure to an authority, only with its legal basis, by the privacy officer;
logged for the person, it reaches Art. 19 tasks and the access package."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import translation

from rekisteri.audit.actor import Actor
from rekisteri.audit.models import AuditEvent
from rekisteri.errors import codes
from rekisteri.privacy.authority_disclosure import authorities, authority_disclosure_record
from rekisteri.privacy.disclosure import disclosure_recipients
from rekisteri.privacy.models import Disclosure, Recipient
from rekisteri.privacy.recipients import recipient_notifications_create
from rekisteri.privacy.registry import entry_for

pytestmark = pytest.mark.django_db

REFERENCE = "Poliisilaki 4:2, virka-apupyyntö 1234/R/567/26"


@pytest.fixture
def authority(db) -> Recipient:
    [authority] = authorities()
    return authority


def test_the_privacy_officer_records_a_disclosure_to_an_authority_with_its_basis(cast, person, authority):
    actor = Actor.for_user(cast.privacy_officer, "ui")
    disclosure = authority_disclosure_record(
        actor=actor,
        person=person,
        recipient=authority,
        authority_name="Sisä-Suomen poliisilaitos",
        legal_reference=REFERENCE,
        categories=["name", "phone"],
    )
    disclosure.refresh_from_db()
    assert (disclosure.basis, disclosure.purpose) == ("legal_obligation", "rights_and_obligations")
    assert disclosure.recipient_record == authority
    assert disclosure.recipient_name == "Sisä-Suomen poliisilaitos"
    assert disclosure.legal_reference == REFERENCE
    # The reference may identify the person's case: never in the audit trail.
    event = AuditEvent.objects.get(object_type="disclosure", action="disclose")
    assert "1234/R" not in event.detail and '"basis":"legal_obligation"' in event.detail.replace(" ", "")
    # The access package and Art. 19 read it from the log.
    exported = entry_for("privacy.Disclosure").export(disclosure)
    assert exported["legal_reference"] == REFERENCE and exported["recipient_kind"] == "authority"
    [item] = disclosure_recipients(person.pk)
    assert item["kind"] == "authority"
    [task] = recipient_notifications_create(actor=actor, person_id=person.pk, event="rectification")
    assert task.recipient == authority


def test_a_disclosure_without_a_basis_is_refused(cast, person, authority):
    actor = Actor.for_user(cast.privacy_officer, "ui")
    with pytest.raises(ValidationError) as refused:
        authority_disclosure_record(
            actor=actor, person=person, recipient=authority, legal_reference="  ", categories=["name"]
        )
    assert codes(refused.value) == {"legal_reference": ["authority_disclosure.legal_reference"]}
    assert not Disclosure.objects.exists()


def test_a_recipient_that_is_not_an_authority_is_refused(cast, person):
    processor = Recipient.objects.filter(kind="processor").first()
    with translation.override("en"), pytest.raises(ValidationError, match="Choose an authority"):
        authority_disclosure_record(
            actor=Actor.for_user(cast.privacy_officer, "ui"),
            person=person,
            recipient=processor,
            legal_reference=REFERENCE,
            categories=["name"],
        )


def test_other_roles_are_refused(cast, person, authority):
    for user in (cast.sales, cast.crm, cast.marketing, cast.trainer, cast.admin):
        with pytest.raises(PermissionDenied):
            authority_disclosure_record(
                actor=Actor.for_user(user, "ui"),
                person=person,
                recipient=authority,
                legal_reference=REFERENCE,
                categories=["name"],
            )
    assert not Disclosure.objects.exists()


def test_the_page_shows_the_log_and_records_a_disclosure(cast, person, authority):
    client = Client()
    client.force_login(cast.privacy_officer, backend="django.contrib.auth.backends.ModelBackend")
    refused = client.post(
        f"/people/{person.pk}/disclosures/authority/",
        {"recipient": authority.pk, "legal_reference": "", "categories": ["name"]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 422
    response = client.post(
        f"/people/{person.pk}/disclosures/authority/",
        {"recipient": authority.pk, "legal_reference": REFERENCE, "categories": ["name", "email"]},
    )
    assert response.status_code == 302
    page = client.get(f"/people/{person.pk}/disclosures/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert REFERENCE in page and authority.name in page
    sales = Client()
    sales.force_login(cast.sales, backend="django.contrib.auth.backends.ModelBackend")
    assert sales.get(f"/people/{person.pk}/disclosures/").status_code == 403
    assert Disclosure.objects.count() == 1


def test_the_command_records_a_disclosure_and_refuses_one_without_a_basis(person, authority, capsys):
    call_command(
        "disclosure",
        "authority",
        "--person",
        str(person.pk),
        "--reference",
        REFERENCE,
        "--categories",
        "name",
    )
    assert "recorded for person" in capsys.readouterr().out
    assert Disclosure.objects.get().recipient_record == authority
    with pytest.raises(CommandError, match="State the legal basis"):
        call_command(
            "disclosure", "authority", "--person", str(person.pk), "--reference", " ", "--categories", "name"
        )
    with pytest.raises(CommandError, match="No recipient"):
        call_command(
            "disclosure",
            "authority",
            "--person",
            str(person.pk),
            "--reference",
            REFERENCE,
            "--categories",
            "name",
            "--recipient",
            "Nobody",
        )
    assert Disclosure.objects.count() == 1
