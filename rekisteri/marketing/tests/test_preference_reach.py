"""The preference centre is reachable from the portal and from every marketing message's
footer (issue 11 §2: "from any message's footer or the portal")."""

from __future__ import annotations

import re

import pytest
from django.core import mail as django_mail
from django.test import Client

from rekisteri.marketing.services.campaigns import campaign_create, campaign_send, campaign_test_send
from rekisteri.marketing.services.consents import consent_give
from rekisteri.marketing.services.lists import subscription_add
from rekisteri.outbox.models import OutgoingMail
from rekisteri.outbox.tests.helpers import deliver_outbox

pytestmark = pytest.mark.database

PREFERENCES = re.compile(r"https?://[^/\s\"]+(/newsletter/preferences/)")


def test_the_portal_page_asks_for_the_preference_link_by_mail(person):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/portal/")
    body = page.content.decode()
    form = re.search(r'<form method="post" action="(/newsletter/preferences/)"[^>]*>(.*?)</form>', body, re.S)
    assert form is not None, "the portal has no form asking for the preference link"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(2)).group(1)
    response = client.post(form.group(1), {"email": person.email, "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    mail = OutgoingMail.objects.get(kind="newsletter_preferences")
    link = re.search(r"https?://[^/]+(/newsletter/preferences/open/\S+/)", mail.body_text).group(1)
    opened = Client().post(link)
    assert opened.status_code == 302 and "/newsletter/preferences/s/" in opened["Location"]


def test_every_campaign_message_and_test_send_links_to_the_preference_centre(
    system_actor, newsletter, person
):
    consent_give(actor=system_actor, person=person, topic=newsletter, channel="paper")
    subscription_add(actor=system_actor, person=person, topic=newsletter)
    for language in ("fi", "en"):
        campaign = campaign_create(
            actor=system_actor, topic=newsletter, subject="Hei", body_markdown="Moi", language=language
        )
        campaign_test_send(actor=system_actor, campaign=campaign, addresses=["markus@firma.example"])
        campaign_send(actor=system_actor, campaign=campaign)
    deliver_outbox()  # the test sends wait in the outbox
    assert len(django_mail.outbox) == 4
    client = Client()
    for message in django_mail.outbox:
        html = message.alternatives[0][0]
        paths = {PREFERENCES.search(message.body).group(1), PREFERENCES.search(html).group(1)}
        assert paths == {"/newsletter/preferences/"}
        assert re.search(r'<a href="https?://[^"]+/newsletter/preferences/">', html)
        page = client.get(paths.pop())
        assert page.status_code == 200 and b'name="email"' in page.content
