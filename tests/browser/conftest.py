"""Browser tests: headless Debian Chromium driven by Playwright against a live server."""

from __future__ import annotations

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def page(live_server, monkeypatch):
    """A fresh Chromium page; Playwright's sync API keeps an event loop, so Django's ORM must be
    told that synchronous calls from this thread are fine."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fi-FI")
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.console_errors = []
        page.on(
            "console", lambda message: message.type == "error" and page.console_errors.append(message.text)
        )
        try:
            yield page
        finally:
            context.close()
            browser.close()
            # Connections the test opened while Playwright's event loop was set are not the
            # ones the test databases' teardown closes: left open, PostgreSQL refused to drop
            # the databases at the end ("being accessed by other users").
            connections.close_all()
