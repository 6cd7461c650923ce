"""The first run, as a newcomer makes it: `./run.sh` as written, default settings, no mail server.

The portal's access and erasure requests go end to end through the local mailbox ("Lähetetyt
viestit"): the verification link and the answer are read there by the privacy officer, the
worker that run.sh starts delivers them, and every page answers without a server error.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from rekisteri.outbox.tests.smtp import free_port
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.two_factor import give_second_factor

pytestmark = [pytest.mark.browser, pytest.mark.slow]
# It runs its own embedded SQLite register whatever database the suite is on, so it needs no
# "database" mark: ./test.sh runs it in the SQLite pass only.

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "Tervetuloa-demoon-2025"


@pytest.fixture(scope="module")
def register(tmp_path_factory):
    """./run.sh in a fresh data directory on a free port, with nothing of the test settings."""
    data_dir = tmp_path_factory.mktemp("first-run") / "var"
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("REKISTERI_", "EMAIL_", "DJANGO_")) and key not in {"DATABASE_URL", "DEBUG"}
    }
    env.update(REKISTERI_DATA_DIR=str(data_dir), REKISTERI_PORT=str(port))
    process = subprocess.Popen(
        ["./run.sh"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = []
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                raise AssertionError("run.sh stopped:\n" + "".join(output))
            output.append(line)
            if "rekisteri is starting on" in line:
                break
        assert f"rekisteri is starting on {url}" in "".join(output), "".join(output)
        # It says where the mail goes when no mail server is set.
        output += [process.stdout.readline(), process.stdout.readline()]
        assert "Lähetetyt viestit" in "".join(output[-2:]), "".join(output)
        _wait_until_answering(url, deadline)
        yield {"url": url, "data_dir": data_dir, "output": output}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_answering(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/accounts/login/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"nothing answered at {url}")


@pytest.fixture
def browser(register, monkeypatch):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _page(browser):
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="fi-FI", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    statuses = []
    page.on("response", lambda response: statuses.append((response.status, response.url)))
    page.server_errors = lambda: [entry for entry in statuses if entry[0] >= 500]
    return page


def _log_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    # The privacy officer sets up two-factor login at the first login, then gives a code.
    give_second_factor(page, url, username)
    expect(page.locator("h1")).to_contain_text("Tervetuloa")


def _demo_person_address(officer, url: str, name: str) -> tuple[str, str]:
    """The card of a demo person found by name: (card URL, e-mail address)."""
    officer.goto(f"{url}/search/?q={name}")
    officer.locator("#search-results a[href^='/people/']").first.click()
    expect(officer.locator("h1")).not_to_be_empty()
    address = re.search(r"[\w.+-]+@[\w.-]+\.example", officer.locator("main").inner_text())[0]
    return officer.url, address


def _request_in_the_portal(browser, url: str, right: str, address: str):
    visitor = _page(browser)
    visitor.goto(f"{url}/portal/")
    visitor.check(f"input[name=type][value={right}]")
    visitor.fill("#id_email", address)
    visitor.click("button[type=submit] >> text=Lähetä pyyntö")
    expect(visitor.locator("h1")).to_have_text("Tarkista sähköpostisi")
    return visitor


def _open_sent_mail(officer, url: str, kind_label: str, count: int = 1, readable: bool = True):
    """Open the `count`-th mail of a kind in "Lähetetyt viestit", once the worker has delivered it."""
    # Generous: the loop ends as soon as the mail is there; a loaded machine's worker round
    # took over 30 s once.
    deadline = time.monotonic() + 120
    while True:
        officer.goto(f"{url}/mail/?state=sent")
        expect(officer.locator("h1")).to_have_text("Lähetetyt viestit")
        rows = officer.locator("tr", has_text=kind_label)
        if rows.count() >= count:
            break
        assert time.monotonic() < deadline, f"no sent mail '{kind_label}' in the local mailbox"
        time.sleep(0.5)
    rows.nth(0).locator("a").first.click()
    if readable:
        expect(officer.locator("h2", has_text="Viesti paikallisessa postilaatikossa")).to_be_visible()


def _follow_verification_link(officer, visitor) -> None:
    link = officer.locator(".mail-body a[href*='/portal/verify/']").get_attribute("href")
    visitor.goto(link)
    expect(visitor.locator("h1")).to_have_text("Vahvista pyyntösi")
    visitor.click("button[type=submit] >> text=Vahvista pyyntö")
    expect(visitor.locator("h1")).to_have_text("Pyyntö vahvistettu")


def _fulfil_newest_request(officer, url: str, address: str) -> None:
    officer.goto(f"{url}/requests/")
    officer.locator("table a[href^='/requests/']").first.click()
    expect(officer.locator("main")).to_contain_text(address)
    officer.click("#action-fulfil summary")
    officer.check("#fulfil_confirm")
    officer.click("#action-fulfil button[type=submit]")
    expect(officer.locator(".message--success")).to_be_visible()


def test_access_and_erasure_through_the_local_mailbox(register, browser):
    url = register["url"]
    officer = _page(browser)
    _log_in(officer, url, "tietosuoja")
    expect(officer.locator("nav >> text=Lähetetyt viestit")).to_be_visible()

    # Access (Art. 15): the portal, the verification link read in the local mailbox, the
    # privacy officer's fulfilment, the download link read there too, and the package.
    card, address = _demo_person_address(officer, url, "Virtanen")
    visitor = _request_in_the_portal(browser, url, "access", address)
    _open_sent_mail(officer, url, "Portaalipyynnön vahvistuslinkki")
    expect(officer.locator("main")).to_contain_text(address)
    _follow_verification_link(officer, visitor)
    _fulfil_newest_request(officer, url, address)
    _open_sent_mail(officer, url, "Vastaus tietojen tarkastuspyyntöön")
    download = officer.locator(".mail-body a[href*='/portal/download/']").get_attribute("href")
    visitor.goto(download)
    expect(visitor.locator("h1")).to_have_text("Tietosi")
    with visitor.expect_download() as info:
        visitor.click("text=Lataa JSON-muodossa")
    with open(info.value.path(), encoding="utf-8") as file:
        assert address in json.dumps(json.load(file), ensure_ascii=False)

    # Erasure (Art. 17) of another person: the same way, and the person is gone.
    card, address = _demo_person_address(officer, url, "Korhonen")
    visitor = _request_in_the_portal(browser, url, "erasure", address)
    _open_sent_mail(officer, url, "Portaalipyynnön vahvistuslinkki", count=2)
    _follow_verification_link(officer, visitor)
    _fulfil_newest_request(officer, url, address)
    _open_sent_mail(officer, url, "Vastaus poistopyyntöön", readable=False)
    # The confirmation went out; its content (the erased person's address) went with it.
    expect(officer.locator("main")).to_contain_text("Tämän viestin sisältöä ei enää ole")
    assert officer.request.get(card).status == 404

    # Nothing answered with a server error on the way, and the mailbox holds only ciphertext.
    assert officer.server_errors() == [] and visitor.server_errors() == []
    mailbox = register["data_dir"] / "mailbox"
    stored = b"".join(path.read_bytes() for path in mailbox.iterdir())
    assert address.encode() not in stored and b"/portal/verify/" not in stored
