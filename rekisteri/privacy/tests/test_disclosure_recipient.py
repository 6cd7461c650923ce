"""Section 6: a disclosure names its recipient from the recipients register, so Art. 19 tasks
and the access package come from the register; the name is kept as written for history."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import translation

from rekisteri.privacy.disclosure import disclosure_recipients, disclosure_record, disclosure_record_many
from rekisteri.privacy.models import Disclosure, GroupCompany, Recipient
from rekisteri.privacy.recipients import recipient_notifications_create
from rekisteri.privacy.registry import entry_for

pytestmark = pytest.mark.django_db

NEWSLETTER = "Markkinointi- ja uutiskirjepalvelun palveluntarjoaja"


def test_a_disclosure_to_a_processor_of_the_register_links_it_and_keeps_its_name(system_actor, person):
    processor = Recipient.objects.get(name=NEWSLETTER)
    disclosure = disclosure_record(
        actor=system_actor, person=person, recipient=processor, categories=["email"]
    )
    disclosure.refresh_from_db()
    assert disclosure.recipient_record == processor
    assert disclosure.recipient_name == NEWSLETTER
    [item] = disclosure_recipients(person.pk)
    assert (item["recipient_id"], item["kind"]) == (processor.pk, "processor")
    exported = entry_for("privacy.Disclosure").export(disclosure)
    assert exported["recipient_kind"] == "processor" and exported["recipient_service"]


def test_a_group_company_or_a_known_name_is_linked_to_its_register_entry(system_actor, person):
    defsec = GroupCompany.objects.get(name="Insta DefSec Oy")
    by_company = disclosure_record(
        actor=system_actor, person=person, recipient_company=defsec, categories=["name"]
    )
    by_name = disclosure_record(
        actor=system_actor, person=person, recipient_name=NEWSLETTER, categories=["email"]
    )
    outside = disclosure_record(
        actor=system_actor, person=person, recipient_name="Asiakas Oy", categories=["name"]
    )
    assert by_company.recipient_record == Recipient.objects.get(group_company=defsec)
    assert by_name.recipient_record.name == NEWSLETTER
    assert outside.recipient_record is None and outside.recipient_name == "Asiakas Oy"


def test_a_group_company_recipient_records_its_company(system_actor, person):
    recipient = Recipient.objects.get(name="Insta DefSec Oy")
    count = disclosure_record_many(
        actor=system_actor,
        person_ids=[person.pk],
        categories=["name"],
        purpose="customer_relationship",
        recipient=recipient,
    )
    assert count == 1
    row = Disclosure.objects.get()
    assert (row.recipient_company.name, row.recipient_record) == ("Insta DefSec Oy", recipient)


def test_an_inactive_recipient_is_refused(system_actor, person):
    processor = Recipient.objects.get(name=NEWSLETTER)
    Recipient.objects.filter(pk=processor.pk).update(active=False)
    processor.refresh_from_db()
    with translation.override("en"), pytest.raises(ValidationError, match="no longer active"):
        disclosure_record(actor=system_actor, person=person, recipient=processor, categories=["email"])
    assert not Disclosure.objects.exists()


def test_art19_tasks_name_the_register_entry_even_after_it_is_renamed(system_actor, person):
    processor = Recipient.objects.get(name=NEWSLETTER)
    disclosure_record(actor=system_actor, person=person, recipient=processor, categories=["email"])
    Recipient.objects.filter(pk=processor.pk).update(name="Uutiskirjepalvelu Oy")
    [task] = recipient_notifications_create(actor=system_actor, person_id=person.pk, event="erasure")
    assert task.recipient_id == processor.pk
    assert task.recipient_name == NEWSLETTER  # as it was named when the data went


def test_the_migration_links_existing_rows_by_name_and_its_reverse_unlinks(system_actor, person):
    migration = importlib.import_module("rekisteri.privacy.migrations.0011_disclosure_links_recipient")
    defsec = GroupCompany.objects.get(name="Insta DefSec Oy")
    disclosure_record(actor=system_actor, person=person, recipient_company=defsec, categories=["name"])
    disclosure_record(actor=system_actor, person=person, recipient_name=NEWSLETTER, categories=["email"])
    disclosure_record(actor=system_actor, person=person, recipient_name="Asiakas Oy", categories=["name"])
    migration.unlink(apps, None)
    assert not Disclosure.objects.filter(recipient_record__isnull=False).exists()
    migration.link(apps, None)
    linked = {
        row.recipient: row.recipient_record for row in Disclosure.objects.select_related("recipient_record")
    }
    assert linked["Insta DefSec Oy"].group_company == defsec
    assert linked[NEWSLETTER].name == NEWSLETTER
    assert linked["Asiakas Oy"] is None
