"""Art. 18: the legal reason stated for a restricted person's card carries to the card's own
pages and fragments for that viewing (a short-lived grant signed for the reader and the
person, held in their session), each read audited with the same reason; without the grant,
for another person, for another reader, after it ends, or on another page, it asks again."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from rekisteri.audit.models import AuditEvent
from rekisteri.contacts.models import Interaction
from rekisteri.contacts.selectors import TIMELINE_PAGE_SIZE
from rekisteri.people.models import Person
from rekisteri.people.tests import test_restricted_reads
from rekisteri.web.restricted_grants import SESSION_KEY

pytestmark = pytest.mark.django_db

OTHER_ROLES = test_restricted_reads.OTHER_ROLES
pair = test_restricted_reads.pair
REASON = "Oikeudenkäynti KO 12/2026: vastaajan puolustus"


@pytest.fixture
def history(pair):
    """The restricted person has more contacts than one page of the history holds."""
    restricted, free = pair
    start = timezone.now() - timedelta(days=60)
    for day in range(TIMELINE_PAGE_SIZE + 3):
        for person in (restricted, free):
            Interaction.objects.create(person=person, kind="event", occurred_at=start + timedelta(days=day))
    return restricted, free


def _client(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _grant(client: Client, person) -> str:
    response = client.post(f"/people/{person.pk}/restricted-read/", {"reason": REASON})
    assert response.status_code == 303
    location = urlsplit(response["Location"])
    assert location.path == f"/people/{person.pk}/"
    return parse_qs(location.query)["grant"][0]


def _reasons(person) -> list[str | None]:
    events = AuditEvent.objects.filter(
        action="view", object_type="person", person_ids__contains=str(person.pk)
    ).order_by("seq")
    return [json.loads(event.detail).get("reason") for event in events]


def _fragments(person, grant: str | None) -> dict[str, str]:
    suffix = f"&grant={grant}" if grant is not None else ""
    return {
        "card": f"/people/{person.pk}/?page=1{suffix}",
        "card page 2": f"/people/{person.pk}/?page=2{suffix}",
        "history fragment": f"/people/{person.pk}/history/?page=1{suffix}",
        "history fragment page 2": f"/people/{person.pk}/history/?page=2{suffix}",
    }


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_every_fragment_of_the_card_opens_with_the_grant_each_read_audited_with_the_reason(
    cast, history, role
):
    restricted, _ = history
    client = _client(getattr(cast, role))
    grant = _grant(client, restricted)
    assert _reasons(restricted) == []  # stating the reason reads nothing yet

    for name, url in _fragments(restricted, grant).items():
        response = client.get(url, HTTP_HX_REQUEST="true" if "fragment" in name else "")
        assert response.status_code == 200, name
        page = response.content.decode()
        assert "timeline-item" in page, name
        # The paging links carry the grant on, to the card and to the fragment.
        assert urlencode({"grant": grant}) in page, name
    second = client.get(_fragments(restricted, grant)["history fragment page 2"]).content.decode()
    assert 'rel="prev"' in second and "<html" not in second  # a fragment, not a page
    assert _reasons(restricted) == [REASON] * 5  # each of the five reads


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_without_the_grant_every_fragment_asks_for_the_reason_again(cast, history, role):
    restricted, _ = history
    client = _client(getattr(cast, role))
    for name, url in _fragments(restricted, None).items():
        response = client.get(url)
        assert response.status_code == 403, name
        assert "Rauha" not in response.content.decode(), name
    forged = _fragments(restricted, "eyJnIjoieCJ9:forged")
    for name, url in forged.items():
        assert client.get(url).status_code == 403, name
    assert _reasons(restricted) == []


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_the_grant_opens_nothing_else(cast, history, role):
    restricted, free = history
    user = getattr(cast, role)
    client = _client(user)
    grant = _grant(client, restricted)

    # Another restricted person, read with this person's grant.
    other = Person.objects.filter(pk=free.pk)
    other.update(restricted_at=timezone.now())
    for name, url in _fragments(free, grant).items():
        assert client.get(url).status_code == 403, name
    # Another reader holding the link (another session): asked again.
    stranger = _client(cast.crm if role == "sales" else cast.sales)
    for name, url in _fragments(restricted, grant).items():
        assert stranger.get(url).status_code == 403, name
    # The same reader's other pages of the person ask for their own reason.
    marketing = client.get(f"/people/{restricted.pk}/marketing/?grant={grant}")
    assert marketing.status_code in (403, 404)
    assert _reasons(restricted) == [] and _reasons(free) == []


def test_the_grant_ends_after_its_time(cast, history):
    restricted, _ = history
    client = _client(cast.sales)
    grant = _grant(client, restricted)
    assert client.get(f"/people/{restricted.pk}/?grant={grant}").status_code == 200
    session = client.session
    for value in session[SESSION_KEY].values():
        value["until"] = timezone.now().timestamp() - 1  # as if its 15 minutes had passed
    session.save()
    assert client.get(f"/people/{restricted.pk}/?grant={grant}").status_code == 403
    assert client.get(f"/people/{restricted.pk}/history/?grant={grant}").status_code == 403
    assert _reasons(restricted) == [REASON]


def test_the_privacy_officer_needs_no_grant_and_free_persons_none_either(cast, history):
    restricted, free = history
    officer = _client(cast.privacy_officer)
    sales = _client(cast.sales)
    for url in (*_fragments(restricted, None).values(),):
        assert officer.get(url).status_code == 200
    for url in _fragments(free, None).values():
        assert sales.get(url).status_code == 200
    assert all(reason is None for reason in _reasons(restricted))
