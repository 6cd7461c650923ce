"""Art. 14: persons whose data came from someone else are told, once per collection."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone, translation

from rekisteri.audit.models import AuditEvent
from rekisteri.contacts.models import Interaction
from rekisteri.lib.deadlines import add_months
from rekisteri.notice.informing import (
    information_due,
    information_record,
    information_send,
    information_send_due,
)
from rekisteri.notice.models import SourceInformation
from rekisteri.notice.services import version_publish
from rekisteri.outbox.models import OutgoingMail
from rekisteri.outbox.tests.helpers import deliver_outbox
from rekisteri.people.services import person_create
from rekisteri.privacy.services import source_add
from rekisteri.rights.services import request_create

pytestmark = pytest.mark.django_db


def _due_ids():
    return [entry.person_id for entry in information_due()]


def test_a_person_whose_data_came_from_the_employer_is_due_within_a_month(system_actor, person):
    obtained = timezone.localdate() - timedelta(days=3)
    source_add(actor=system_actor, person=person, kind="employer_or_partner", obtained_on=obtained)
    [entry] = information_due()
    assert entry.person_id == person.pk
    assert entry.kinds == ["employer_or_partner"]
    assert entry.due_on == add_months(obtained, 1)
    assert not entry.overdue(timezone.localdate())


def test_a_person_who_gave_the_data_themselves_is_not_listed(system_actor, person):
    source_add(actor=system_actor, person=person, kind="data_subject")
    assert _due_ids() == []


def test_the_first_communication_brings_the_due_date_forward_and_the_overdue_come_first(
    system_actor, person, student
):
    today = timezone.localdate()
    obtained = today - timedelta(days=5)
    source_add(
        actor=system_actor, person=person, kind="asiakastieto", obtained_on=obtained, report_date=obtained
    )
    source_add(
        actor=system_actor, person=student, kind="public_source", obtained_on=today - timedelta(days=10)
    )
    called = timezone.now() - timedelta(days=2)
    Interaction.objects.create(person=person, kind="call", occurred_at=called)
    due = information_due()
    assert [entry.person_id for entry in due] == [person.pk, student.pk]
    assert due[0].due_on == timezone.localdate(called)
    assert due[0].overdue(today)


def test_sending_mails_the_person_in_their_language_and_records_each_collection(
    system_actor, person, settings
):
    settings.PUBLIC_BASE_URL = "https://rekisteri.example"
    version = version_publish(actor=system_actor, effective_on=timezone.localdate(), summary="First")
    request_create(
        actor=system_actor,
        type="access",
        channel="email",
        email=person.email,
        language="en",
        person_id=person.pk,
    )
    first = source_add(actor=system_actor, person=person, kind="employer_or_partner")
    today = timezone.localdate()
    second = source_add(actor=system_actor, person=person, kind="asiakastieto", report_date=today)
    informed = information_send(actor=system_actor, person=person)
    assert {row.source_id for row in informed} == {first.pk, second.pk}
    mail = OutgoingMail.objects.get(kind="source_information")
    assert mail.person_id == person.pk and mail.language == "en"
    for row in SourceInformation.objects.all():
        assert row.mail_id == mail.pk
        assert row.notice_version == version
        assert row.channel == "email"
        assert row.informed_on == timezone.localdate()
    [sent] = deliver_outbox()
    assert sent.to == ["anna.virtanen@testi.fi"]
    assert "https://rekisteri.example/en/privacy-notice/" in sent.body
    assert "Suomen Asiakastieto" in sent.body
    event = AuditEvent.objects.filter(object_type="source_information").get()
    assert event.purpose == "rights_and_obligations"
    assert "anna" not in event.detail.lower()
    assert _due_ids() == []


def test_a_finnish_mail_links_the_finnish_notice(system_actor, person, settings):
    settings.PUBLIC_BASE_URL = "https://rekisteri.example"
    source_add(actor=system_actor, person=person, kind="employer_or_partner")
    information_send(actor=system_actor, person=person)
    [sent] = deliver_outbox()
    assert "https://rekisteri.example/tietosuojaseloste/" in sent.body
    assert "Hei Anna" in sent.body


def test_nobody_is_informed_twice_of_the_same_collection(system_actor, person):
    source_add(actor=system_actor, person=person, kind="employer_or_partner")
    information_send(actor=system_actor, person=person)
    with translation.override("en"), pytest.raises(ValidationError, match="informed of every source"):
        information_send(actor=system_actor, person=person)
    assert information_send_due(actor=system_actor).sent == []
    assert OutgoingMail.objects.filter(kind="source_information").count() == 1
    # A new collection is a new duty.
    source_add(actor=system_actor, person=person, kind="public_source")
    assert _due_ids() == [person.pk]
    informed = information_send(actor=system_actor, person=person)
    assert len(informed) == 1
    assert SourceInformation.objects.count() == 2


def test_sending_to_everyone_due_leaves_those_without_an_address_and_a_dry_run_sends_nothing(
    system_actor, person, organization
):
    no_address = person_create(
        actor=system_actor, first_name="Pekka", last_name="Posti", organization=organization
    )
    source_add(actor=system_actor, person=person, kind="employer_or_partner")
    source_add(actor=system_actor, person=no_address, kind="employer_or_partner")
    dry = information_send_due(actor=system_actor, dry_run=True)
    assert dry.sent == [person.pk] and dry.no_address == [no_address.pk]
    assert not SourceInformation.objects.exists() and not OutgoingMail.objects.exists()
    report = information_send_due(actor=system_actor)
    assert report.sent == [person.pk] and report.no_address == [no_address.pk]
    assert _due_ids() == [no_address.pk]
    with translation.override("en"), pytest.raises(ValidationError, match="no e-mail address"):
        information_send(actor=system_actor, person=no_address)
    # Told by post: the privacy officer records it, and the person is no longer due.
    [row] = information_record(actor=system_actor, person=no_address, channel="post")
    assert (row.channel, row.mail_id) == ("post", None)
    assert _due_ids() == []
    with translation.override("en"), pytest.raises(ValidationError, match="informed of every source"):
        information_record(actor=system_actor, person=no_address, channel="in_person")
    with translation.override("en"), pytest.raises(ValidationError, match="Choose post or in person"):
        information_record(actor=system_actor, person=person, channel="email")


def test_the_command_informs_everyone_due_and_its_dry_run_only_lists(system_actor, person, capsys):
    source_add(actor=system_actor, person=person, kind="employer_or_partner")
    call_command("notice", "inform", "--due", "--dry-run")
    out = capsys.readouterr().out
    assert f"{person.pk}\tdue" in out and "Dry run: 1 would be informed" in out
    assert not SourceInformation.objects.exists()
    call_command("notice", "inform", "--due")
    assert "1 informed" in capsys.readouterr().out
    assert SourceInformation.objects.filter(person=person).exists()


def test_the_command_refuses_a_person_with_nothing_due(system_actor, person):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="informed of every source"):
        call_command("notice", "inform", "--person", str(person.pk))
    with pytest.raises(CommandError, match="No person"):
        call_command("notice", "inform", "--person", "not-an-id")
