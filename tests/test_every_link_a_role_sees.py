"""Each role's real view: every link a demo login is shown leads somewhere it may go.

Starting from the dashboard with the demo data `./run.sh` loads, each demo login (and an
anonymous visitor) follows every link and htmx fragment of every page it reaches, one page
per URL shape (one person card stands for all), and no page may fail: a link the role is
shown but may not follow (403), that leads nowhere (404) or that breaks (500) is a defect of
that role's view.
"""

from __future__ import annotations

import re
from collections import deque

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from rekisteri.audit.actor import Actor
from rekisteri.demo.data import DEMO_STAFF, demo_load

LINK = re.compile(r'(?:href|hx-get)="(/[^"#]*)"')
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Not pages: files served as they are, and the API (its own tests and schemathesis).
NOT_PAGES = ("/static/", "/api/")
PAGE_LIMIT = 300


def url_shape(url: str) -> str:
    path, _, query = url.partition("?")
    path = UUID.sub("<uuid>", path)
    path = re.sub(r"/\d+(?=/|$)", "/<n>", path)
    path = re.sub(r"/[A-Za-z0-9_-]{20,}(?=/|$)", "/<token>", path)
    keys = sorted(part.split("=")[0] for part in query.split("&") if part)
    return path + ("?" + "&".join(keys) if keys else "")


def crawl(client: Client, start: tuple[str, ...] = ("/",)) -> list[tuple[int, str, str]]:
    """(status, url, the page that linked it) for one page of every URL shape reached."""
    shapes: set[str] = set()
    queue = deque((url, "start") for url in start)
    answers = []
    while queue and len(answers) < PAGE_LIMIT:
        url, origin = queue.popleft()
        shape = url_shape(url)
        if shape in shapes or url.startswith(NOT_PAGES):
            continue
        shapes.add(shape)
        response = client.get(url)
        answers.append((response.status_code, url, origin))
        if response.status_code in (301, 302):
            location = response.headers["Location"]
            if location.startswith("/"):
                queue.append((location, url))
        elif response.status_code == 200 and "text/html" in response.headers.get("Content-Type", ""):
            for link in LINK.findall(response.content.decode()):
                queue.append((link.replace("&amp;", "&"), url))
    return answers


@pytest.fixture
def demo_register(db):
    demo_load(actor=Actor.system("demo", origin="cli"), organizations=3, persons=20)


@pytest.mark.parametrize("username", [staff.username for staff in DEMO_STAFF if staff.nda_signed_on])
def test_every_link_a_demo_login_is_shown_answers(demo_register, username):
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    answers = crawl(client)
    failed = [(status, url, origin) for status, url, origin in answers if status >= 400]
    assert failed == [], f"{username} is shown links that fail: {failed}"
    # The crawl went past the dashboard: the role's own pages were reached.
    assert len(answers) > 10


def test_a_login_without_a_confidentiality_agreement_is_told_why_and_reaches_nothing(demo_register):
    client = Client()
    client.force_login(get_user_model().objects.get(username="ilman-nda"))
    answers = crawl(client)
    assert [status for status, _, _ in answers] == [403]


def test_every_public_link_answers_without_a_login(demo_register):
    # What a visitor without a login opens: the site, the portal, the notice in both languages.
    answers = crawl(Client(), start=("/", "/portal/", "/tietosuojaseloste/", "/en/privacy-notice/"))
    failed = [(status, url, origin) for status, url, origin in answers if status >= 400]
    assert failed == []
    reached = {url.split("?")[0] for _, url, _ in answers}
    assert {"/accounts/login/", "/portal/", "/tietosuojaseloste/", "/en/privacy-notice/"} <= reached
