"""A campaign through a real SMTP server: the mails are queued already claimed and sent from
memory (nothing read back), each with its own RFC 8058 headers, one delivery row and one
outbox record per recipient, a refused recipient failed with the server's reply."""

from __future__ import annotations

import re

import pytest

from rekisteri.marketing.models import Delivery
from rekisteri.marketing.sending import campaign_run
from rekisteri.marketing.services.campaigns import campaign_create, campaign_send
from rekisteri.marketing.services.consents import consent_give
from rekisteri.marketing.services.lists import subscription_add
from rekisteri.outbox.models import OutgoingMail
from rekisteri.outbox.tests.smtp import SmtpServer
from rekisteri.people.services import person_create

pytestmark = pytest.mark.database
REFUSED = "poissa@lukija.example"


@pytest.fixture
def server(settings):
    server = SmtpServer(refuse={REFUSED})
    server.configure(settings)
    server.start()
    yield server
    server.stop()


def _reader(actor, topic, email):
    person = person_create(actor=actor, first_name="Lukija", last_name="Testi", email=email)
    consent_give(actor=actor, person=person, topic=topic, channel="paper")
    subscription_add(actor=actor, person=person, topic=topic)
    return person


def test_a_campaign_goes_over_smtp_once_to_each_with_its_own_unsubscribe_link(
    server, system_actor, newsletter
):
    addresses = ["aino@lukija.example", "eino@lukija.example", REFUSED]
    for address in addresses:
        _reader(system_actor, newsletter, address)
    campaign = campaign_create(
        actor=system_actor, topic=newsletter, subject="Uutiset ääkkösin", body_markdown="# Hei\n\nMoi"
    )
    campaign_send(actor=system_actor, campaign=campaign, enqueue=False)

    report = campaign_run(campaign.pk)

    assert report.finished and (report.queued, report.sent, report.failed) == (3, 2, 1)
    received = server.mailbox.messages
    assert sorted(rcpt for rcpts, _ in received for rcpt in rcpts) == addresses[:2]
    tokens = set()
    for _rcpts, message in received:
        assert message["Subject"] == "Uutiset ääkkösin"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        token = re.search(r"/newsletter/u/([^/>]+)/one-click/>", message["List-Unsubscribe"]).group(1)
        text = message.get_body(("plain",)).get_content()
        assert f"/newsletter/u/{token}/" in text
        tokens.add(token)
    assert len(tokens) == 2
    assert Delivery.objects.filter(campaign=campaign).count() == 3
    mails = OutgoingMail.objects.filter(about_type="campaign", about_id=str(campaign.pk))
    assert sorted(mails.values_list("state", flat=True)) == ["failed", "sent", "sent"]
    failed = mails.get(state="failed")
    assert failed.last_error_code == 550 and failed.to_address == REFUSED
    assert all(mail.lease_until is None and mail.attempts == 1 for mail in mails)
