"""Art. 14(3)(b): the information at the latest at the first communication, not only daily.

A campaign's copy carries it; any other mail to the person is preceded by it; a logged call,
meeting or e-mail sends it at once or tells the staff member it is owed."""

from __future__ import annotations

import json

import pytest
from django.core import mail as django_mail
from django.utils import timezone

from rekisteri.audit.models import AuditEvent
from rekisteri.marketing.models import Delivery
from rekisteri.marketing.services.campaigns import campaign_create, campaign_send
from rekisteri.marketing.services.consents import consent_give, topic_create
from rekisteri.marketing.services.lists import subscription_add
from rekisteri.notice.first_communication import CarriedInformation
from rekisteri.notice.informing import information_due, information_send
from rekisteri.notice.models import SourceInformation
from rekisteri.outbox.models import OutgoingMail
from rekisteri.people.models import Person
from rekisteri.people.services import person_create
from rekisteri.privacy.services import source_add

pytestmark = pytest.mark.django_db

HEADING = "How we received your contact details"


@pytest.fixture
def newsletter(system_actor):
    return topic_create(actor=system_actor, slug="uutiset", name_fi="Uutiset", name_en="News")


def _subscriber(actor, topic, name, *, kind=None):
    person = person_create(
        actor=actor, first_name=name, last_name="Lukija", email=f"{name.lower()}@lukija.example"
    )
    consent_give(actor=actor, person=person, topic=topic, channel="paper")
    subscription_add(actor=actor, person=person, topic=topic)
    if kind is not None:
        source_add(actor=actor, person=person, kind=kind)
    return person


def _send_campaign(actor, topic, language="en"):
    campaign = campaign_create(
        actor=actor, topic=topic, subject="News 1/2027", body_markdown="# Hello\n\nNews.", language=language
    )
    campaign_send(actor=actor, campaign=campaign)
    return campaign


def _sent_to(address):
    return [message for message in django_mail.outbox if message.to == [address]]


# --- Campaigns ----------------------------------------------------------------------------


def test_a_campaign_mail_to_a_person_owed_it_carries_the_information_first_and_records_it(
    system_actor, newsletter
):
    told = _subscriber(system_actor, newsletter, "Aino", kind="employer_or_partner")
    campaign = _send_campaign(system_actor, newsletter)
    (message,) = _sent_to("aino@lukija.example")  # one message: no separate mail to wait for
    assert message.body.index(HEADING) < message.body.index("News.")
    assert "The person's employer or a representative of a customer or partner" in message.body
    html = message.alternatives[0][0]
    assert html.index(HEADING) < html.index("<h1>Hello</h1>")
    delivery = Delivery.objects.get(campaign=campaign, person=told)
    (row,) = SourceInformation.objects.filter(person=told)
    assert row.mail_id == delivery.mail_id and row.channel == "email"
    assert information_due(person_ids=[told.pk]) == []
    event = AuditEvent.objects.get(object_type="source_information")
    detail = json.loads(event.detail)
    assert detail["carried_in"] == "campaign" and detail["about"] == str(campaign.pk)
    assert detail["kinds"] == ["employer_or_partner"] and detail["channel"] == "email"
    assert not OutgoingMail.objects.filter(kind="source_information").exists()


def test_already_informed_and_self_given_persons_get_the_campaign_alone(system_actor, newsletter):
    informed = _subscriber(system_actor, newsletter, "Eero", kind="public_source")
    information_send(actor=system_actor, person=informed)
    _subscriber(system_actor, newsletter, "Iida", kind="data_subject")
    _subscriber(system_actor, newsletter, "Olli")
    _send_campaign(system_actor, newsletter)
    for address in ("eero@lukija.example", "iida@lukija.example", "olli@lukija.example"):
        (message,) = _sent_to(address)
        assert HEADING not in message.body
    assert SourceInformation.objects.count() == 1  # Eero's, from before
    assert OutgoingMail.objects.filter(kind="source_information").count() == 1


def test_a_restricted_person_gets_no_campaign_and_stays_owed(system_actor, newsletter):
    person = _subscriber(system_actor, newsletter, "Rauha", kind="public_source")
    Person.objects.filter(pk=person.pk).update(restricted_at=timezone.now())
    _send_campaign(system_actor, newsletter)
    assert _sent_to("rauha@lukija.example") == []
    assert not SourceInformation.objects.exists()
    assert [entry.person_id for entry in information_due()] == [person.pk]


def test_the_due_persons_of_a_batch_are_found_in_one_query(
    system_actor, newsletter, django_assert_num_queries
):
    persons = [_subscriber(system_actor, newsletter, f"P{i}", kind="public_source") for i in range(3)]
    _subscriber(system_actor, newsletter, "Itse", kind="data_subject")
    ids = list(Person.objects.values_list("pk", flat=True))
    with django_assert_num_queries(1):
        found = CarriedInformation.of(ids, language="fi")
    assert set(found.kinds_by_person) == {person.pk for person in persons}


def _campaign_queries(actor, prefix: str, count: int, kind: str | None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    topic = topic_create(actor=actor, slug=f"lista-{prefix}", name_fi=prefix, name_en=prefix)
    for i in range(count):
        _subscriber(actor, topic, f"{prefix}{i}", kind=kind)
    campaign = campaign_create(actor=actor, topic=topic, subject="S", body_markdown="Body", language="fi")
    with CaptureQueriesContext(connection) as captured:
        campaign_send(actor=actor, campaign=campaign)
    return len(captured.captured_queries)


def test_informing_a_campaign_batch_costs_the_same_few_queries_for_2_or_9_recipients(system_actor):
    """The campaign path stays fast (benchmarks/campaign.py): what Art. 14 adds to a batch does
    not grow with the recipients owed the information."""
    extra_for_2 = _campaign_queries(system_actor, "a", 2, "employer_or_partner") - _campaign_queries(
        system_actor, "b", 2, None
    )
    extra_for_9 = _campaign_queries(system_actor, "c", 9, "employer_or_partner") - _campaign_queries(
        system_actor, "d", 9, None
    )
    assert SourceInformation.objects.count() == 11
    assert extra_for_2 == extra_for_9 <= 12


def test_a_copy_cancelled_before_it_went_leaves_the_information_owed_again(system_actor, newsletter):
    from rekisteri.notice.first_communication import information_carried_withdraw
    from rekisteri.outbox.models import MailState

    person = _subscriber(system_actor, newsletter, "Kaisa", kind="public_source")
    campaign = _send_campaign(system_actor, newsletter)
    delivery = Delivery.objects.get(campaign=campaign, person=person)
    # As if the campaign had been cancelled before the copy was handed to the server.
    OutgoingMail.objects.filter(pk=delivery.mail_id).update(state=MailState.CANCELLED)
    assert information_carried_withdraw(actor=system_actor, about=("campaign", campaign.pk)) == 1
    assert [entry.person_id for entry in information_due()] == [person.pk]
    event = AuditEvent.objects.get(object_type="source_information", action="delete")
    assert json.loads(event.detail)["reason"] == "carrying_mail_cancelled"


def test_a_notice_announcement_is_preceded_by_the_information_for_those_owed_it(
    system_actor, person, student
):
    from rekisteri.notice.services import version_publish
    from rekisteri.notice.tasks import announce_version

    source_add(actor=system_actor, person=person, kind="employer_or_partner")
    version = version_publish(actor=system_actor, effective_on=timezone.localdate(), summary="Uusi")
    OutgoingMail.objects.all().delete()  # the publication may announce at once; start afresh
    SourceInformation.objects.all().delete()
    announce_version(version.pk)
    mails = list(OutgoingMail.objects.filter(person_id=person.pk).order_by("created_at"))
    assert [mail.kind for mail in mails][:1] == ["source_information"]
    assert len([mail for mail in mails if mail.kind == "source_information"]) == 1
    assert not OutgoingMail.objects.filter(person_id=student.pk, kind="source_information").exists()
    assert SourceInformation.objects.get(person=person).mail_id == mails[0].pk
