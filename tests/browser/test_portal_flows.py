"""The portal end to end in a real browser, with mail through a real SMTP server on loopback.

Access: the form -> the verification mail -> confirm -> the privacy officer fulfils in the
staff UI -> the mail with the download link -> the JSON with the person's data.
Erasure: the same up to fulfilment -> the confirmation mail -> the person is gone.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from rekisteri.outbox.services import outbox_deliver
from rekisteri.outbox.tests.smtp import SmtpServer
from rekisteri.people.models import Person
from rekisteri.rights.models import DataSubjectRequest, Status
from tests.browser.two_factor import give_second_factor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANNA = "anna.virtanen@testi.fi"


@pytest.fixture
def smtp(settings, live_server):
    """A real SMTP server on 127.0.0.1; waiting for a message delivers the outbox, as the worker
    would (from the test's thread: the in-memory test database takes one thread at a time)."""
    server = SmtpServer().start()
    server.configure(settings)
    server.mailbox.deliver = outbox_deliver
    # Links in the mails point at the live server.
    settings.PUBLIC_BASE_URL = live_server.url
    try:
        yield server.mailbox
    finally:
        server.stop()


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _link(message, kind: str) -> str:
    match = re.search(rf"(http://[^\s]+/portal/{kind}/[\w-]+/)", _text(message))
    assert match, _text(message)
    return match[1]


def _request_through_the_portal(page, live_server, smtp, right: str) -> DataSubjectRequest:
    """Fill the form, get the verification mail, open the link and confirm."""
    page.goto(f"{live_server.url}/portal/")
    expect(page.locator("h1")).to_have_text("Tietosuojaoikeutesi")
    page.check(f"input[name=type][value={right}]")
    page.fill("#id_email", ANNA)
    page.fill("#id_details", "Pyyntö portaalin kautta.")
    page.click("button[type=submit] >> text=Lähetä pyyntö")
    expect(page.locator("h1")).to_have_text("Tarkista sähköpostisi")
    assert ANNA not in page.content()

    verification = smtp.wait_for(ANNA, 1)
    assert verification["Subject"].startswith("Vahvista tietosuojapyyntösi")
    link = _link(verification, "verify")

    page.goto(link)
    expect(page.locator("h1")).to_have_text("Vahvista pyyntösi")
    dsr = DataSubjectRequest.objects.get()
    assert dsr.status == Status.AWAITING_VERIFICATION  # opening the link verified nothing
    page.click("button[type=submit] >> text=Vahvista pyyntö")
    expect(page.locator("h1")).to_have_text("Pyyntö vahvistettu")
    expect(page.locator("main")).to_contain_text(dsr.due_on.strftime("%-d.%-m.%Y"))
    dsr.refresh_from_db()
    assert dsr.status == Status.NEW and dsr.verification == "portal_link"
    return dsr


def _fulfil_as_privacy_officer(page, live_server, cast, dsr: DataSubjectRequest) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", cast.privacy_officer.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    give_second_factor(page, live_server.url, cast.privacy_officer.username)
    page.click("nav >> text=Pyynnöt")
    expect(page.locator("h1")).to_have_text("Rekisteröityjen pyynnöt")
    page.click(f"text={dsr.reference}")
    expect(page.locator("main")).to_contain_text(ANNA)
    page.click("#action-fulfil summary")
    page.check("#fulfil_confirm")
    page.click("#action-fulfil button[type=submit]")
    expect(page.locator(".message--success")).to_be_visible()


def test_access_from_the_portal_form_to_the_downloaded_json(page, live_server, smtp, cast, person):
    dsr = _request_through_the_portal(page, live_server, smtp, "access")

    _fulfil_as_privacy_officer(page, live_server, cast, dsr)

    dsr.refresh_from_db()
    assert dsr.status == Status.FULFILLED
    answer = smtp.wait_for(ANNA, 2)
    download = _link(answer, "download")
    page.goto(download)
    expect(page.locator("h1")).to_have_text("Tietosi")
    with page.expect_download() as info:
        page.click("text=Lataa JSON-muodossa")
    with open(info.value.path(), encoding="utf-8") as file:
        package = json.load(file)
    text = json.dumps(package, ensure_ascii=False)
    assert "Virtanen" in text and ANNA in text and "Tampereen Testi Oy" in text
    assert str(person.pk) in text
    # The readable page is offered too, and the link stays valid for another download.
    expect(page.locator("text=Lataa luettavana sivuna")).to_be_visible()
    assert page.request.get(f"{download}json/").status == 200
    assert not [error for error in page.console_errors if "Content Security Policy" in error]


def test_erasure_from_the_portal_form_to_the_person_being_gone(page, live_server, smtp, cast, person):
    person_id = person.pk
    dsr = _request_through_the_portal(page, live_server, smtp, "erasure")

    _fulfil_as_privacy_officer(page, live_server, cast, dsr)

    confirmation = smtp.wait_for(ANNA, 2)
    assert dsr.reference in confirmation["Subject"] or dsr.reference in _text(confirmation)
    assert "/portal/download/" not in _text(confirmation)
    # The request record stays, detached, with its own key destroyed after the confirmation.
    stored = DataSubjectRequest.objects.get(pk=dsr.pk)
    assert stored.status == Status.FULFILLED and stored.person_id is None
    assert not Person.objects.filter(pk=person_id).exists()
    page.reload()
    expect(page.locator(".values-erased")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(ANNA)
    page.goto(f"{live_server.url}/search/?q=Virtanen")
    expect(page.locator("#people-results-heading .badge")).to_have_text("0")
    expect(page.locator("main")).not_to_contain_text(ANNA)
    assert page.request.get(f"{live_server.url}/people/{person_id}/").status == 404
