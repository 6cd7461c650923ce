"""Browser tests: headless Debian Chromium driven by Playwright against a live server."""

from __future__ import annotations

from importlib import import_module

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

_triggers = import_module("rekisteri.audit.migrations.0002_append_only_triggers")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Let the live-server test's database flush pass the audit trail's append-only triggers.

    A transactional test ends by emptying every table, which the triggers forbid for the
    audit tables; they are dropped just for that flush and put back right after it.
    """
    blocker = item.funcargs.get("django_db_blocker") if hasattr(item, "funcargs") else None
    if blocker is None or "live_server" not in item.fixturenames:
        yield
        return
    from django.db import connection

    with blocker.unblock():
        _run(connection, _triggers.drop_sql(connection.vendor))
    yield
    with blocker.unblock():
        _run(connection, _triggers.create_sql(connection.vendor))


def _run(connection, statements):
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@pytest.fixture
def page(live_server, monkeypatch):
    """A fresh Chromium page; Playwright's sync API keeps an event loop, so Django's ORM must be
    told that synchronous calls from this thread are fine."""
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
