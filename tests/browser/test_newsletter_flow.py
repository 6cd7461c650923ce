"""A newsletter end to end in a real browser, with mail through a real SMTP server (aiosmtpd):
subscribe on the public form -> the confirmation mail -> confirm -> a campaign arrives with
RFC 8058 headers -> the one-click POST (as a mail client makes it) unsubscribes."""

from __future__ import annotations

import re
import urllib.request

import pytest
from playwright.sync_api import expect

from rekisteri.audit.actor import Actor
from rekisteri.marketing.models import Subscription
from rekisteri.marketing.sending import campaign_run
from rekisteri.marketing.services.campaigns import campaign_create, campaign_send
from rekisteri.marketing.services.consents import topic_create
from rekisteri.outbox.services import outbox_deliver
from rekisteri.outbox.tests.smtp import SmtpServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

READER = "lukija.testinen@testi.fi"


@pytest.fixture
def smtp(settings, live_server):
    server = SmtpServer().start()
    server.configure(settings)
    server.mailbox.deliver = outbox_deliver
    settings.PUBLIC_BASE_URL = live_server.url
    try:
        yield server.mailbox
    finally:
        server.stop()


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_subscribe_confirm_receive_and_unsubscribe_with_one_click(page, live_server, smtp):
    actor = Actor.system("test", origin="cli")
    topic = topic_create(actor=actor, slug="uutiset", name_fi="Uutiset", name_en="News")
    page.goto(f"{live_server.url}/newsletter/uutiset/")
    expect(page.locator("h1")).to_have_text("Tilaa Uutiset")
    page.fill("#id_first_name", "Lukija")
    page.fill("#id_last_name", "Testinen")
    page.fill("#id_email", READER)
    page.click("button[type=submit] >> text=Tilaa")
    expect(page.locator("h1")).to_have_text("Tarkista sähköpostisi")

    confirmation = smtp.wait_for(READER, 1)
    link = re.search(r"(http://\S+/newsletter/confirm/\S+/)", _text(confirmation))[1]
    page.goto(link)
    assert not Subscription.objects.exists()  # opening the link subscribed nobody
    page.click("button[type=submit] >> text=Vahvista tilaus")
    expect(page.locator("h1")).to_have_text("Tilaus vahvistettu")
    assert Subscription.objects.get().state == "active"

    campaign = campaign_create(
        actor=actor, topic=topic, subject="Uutiset 1/2027", body_markdown="# Hei\n\nMoi"
    )
    campaign_send(actor=actor, campaign=campaign, enqueue=False)
    assert campaign_run(campaign.pk).finished
    message = smtp.to(READER)[-1]
    assert message["Subject"] == "Uutiset 1/2027"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = re.search(r"<(http://[^>]+/one-click/)>", message["List-Unsubscribe"])[1]
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<h1>Hei</h1>" in html

    # What a mail client does (RFC 8058): a POST with no cookie, session or CSRF token.
    request = urllib.request.Request(one_click, data=b"List-Unsubscribe=One-Click", method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    assert Subscription.objects.get().state == "unsubscribed"
    # The visible link still shows the page, which offers stopping all marketing.
    visible = re.search(r"(http://\S+/newsletter/u/[^/\s]+/)", _text(message))[1]
    page.goto(visible)
    expect(page.locator("input[value=stop]")).to_be_visible()
