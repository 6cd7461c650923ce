"""Art. 18 in a real browser: a salesperson states the legal reason for a restricted person's
card, and the contact history's pages then load in place (htmx) under that reason."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from rekisteri.audit.models import AuditEvent
from rekisteri.contacts.models import Interaction
from rekisteri.contacts.selectors import TIMELINE_PAGE_SIZE
from rekisteri.people.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "Oikeudenkäynti KO 12/2026: vastaajan puolustus"


def test_the_reason_carries_to_the_history_pages_loaded_in_place(page, live_server, cast, person):
    start = timezone.now() - timedelta(days=60)
    for day in range(TIMELINE_PAGE_SIZE + 2):
        Interaction.objects.create(person=person, kind="event", occurred_at=start + timedelta(days=day))
    Person.objects.filter(pk=person.pk).update(restricted_at=timezone.now())

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", cast.sales.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Tervetuloa")

    page.goto(f"{live_server.url}/people/{person.pk}/")
    page.fill("form.restricted-read [name=reason]", REASON)
    page.click("form.restricted-read button[type=submit]")
    expect(page.locator("h1")).to_have_text("Anna Virtanen")
    card_url = page.url
    assert "grant=" in card_url

    # The next page of the history comes as a fragment: the card stays, the history changes.
    page.click("#timeline a[rel=next]")
    expect(page.locator("#timeline a[rel=prev]")).to_be_visible()
    assert page.url == card_url
    expect(page.locator("h1")).to_have_text("Anna Virtanen")

    reads = AuditEvent.objects.filter(
        action="view", object_type="person", person_ids__contains=str(person.pk)
    )
    assert [json.loads(event.detail).get("reason") for event in reads.order_by("seq")] == [REASON, REASON]
    assert not [error for error in page.console_errors if "Content Security Policy" in error]
