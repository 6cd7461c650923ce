"""`rekisteri campaign list|show|send ID [--wait]`."""

from __future__ import annotations

import pytest
from django.core import mail as django_mail
from django.core.management import CommandError, call_command

from rekisteri.marketing.models import Campaign
from rekisteri.marketing.services.campaigns import campaign_create
from rekisteri.marketing.services.consents import consent_give
from rekisteri.marketing.services.lists import subscription_add
from rekisteri.people.services import person_create

pytestmark = pytest.mark.database


def test_send_wait_sends_here_and_show_reports(system_actor, newsletter, capsys):
    person = person_create(
        actor=system_actor, first_name="Aino", last_name="Lukija", email="aino@lukija.example"
    )
    consent_give(actor=system_actor, person=person, topic=newsletter, channel="paper")
    subscription_add(actor=system_actor, person=person, topic=newsletter)
    campaign = campaign_create(actor=system_actor, topic=newsletter, subject="Hei", body_markdown="Moi")
    call_command("campaign", "send", str(campaign.pk), "--wait")
    assert "1 sent" in capsys.readouterr().out
    assert len(django_mail.outbox) == 1
    assert Campaign.objects.get(pk=campaign.pk).status == "sent"
    call_command("campaign", "show", str(campaign.pk))
    out = capsys.readouterr().out
    assert "status: sent" in out and '"sent": 1' in out
    call_command("campaign", "list")
    assert "Hei" in capsys.readouterr().out


def test_bad_ids_and_states_exit_with_a_message(system_actor, newsletter):
    with pytest.raises(CommandError, match="not a campaign id"):
        call_command("campaign", "show", "abc")
    with pytest.raises(CommandError, match="No campaign"):
        call_command("campaign", "send", "424242")
    campaign = campaign_create(actor=system_actor, topic=newsletter, subject="Hei", body_markdown="Moi")
    Campaign.objects.filter(pk=campaign.pk).update(status="sent")
    with pytest.raises(CommandError, match="Not possible"):
        call_command("campaign", "send", str(campaign.pk))
