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
    assert _reasons(restricted) == [] and _reasons(free) == []
    # The same reader may not write with it: a restricted person is only stored.
    edit = client.get(f"/people/{restricted.pk}/edit/?grant={grant}")
    assert edit.status_code in (403, 404)  # 403: the role may not edit anyone
    assert 'name="reason"' not in edit.content.decode()
    if user.has_perm("marketing.add_consent"):
        consent = client.post(
            f"/people/{restricted.pk}/marketing/?grant={grant}",
            {"consent-topic": "newsletter", "consent-channel": "staff"},
        )
        assert consent.status_code == 404
    assert _reasons(restricted) == []


@pytest.mark.parametrize("role", ["sales", "crm", "marketing"])
def test_a_restricted_persons_marketing_record_asks_for_the_reason_and_opens_with_it(cast, history, role):
    restricted, _ = history
    client = _client(getattr(cast, role))
    page = f"/people/{restricted.pk}/marketing/"

    asked = client.get(page)
    assert asked.status_code == 403
    assert 'name="reason"' in asked.content.decode() and f'value="{page}"' in asked.content.decode()
    assert _reasons(restricted) == []

    stated = client.post(f"/people/{restricted.pk}/restricted-read/", {"reason": REASON, "next": page})
    assert stated.status_code == 303
    location = urlsplit(stated["Location"])
    assert location.path == page
    assert client.get(stated["Location"]).status_code == 200
    assert _reasons(restricted) == [REASON]


def test_the_reason_forms_next_leads_only_to_the_persons_read_pages(cast, history):
    restricted, free = history
    client = _client(cast.sales)
    for elsewhere in ("https://evil.example/", f"/people/{restricted.pk}/edit/", f"/people/{free.pk}/"):
        stated = client.post(
            f"/people/{restricted.pk}/restricted-read/", {"reason": REASON, "next": elsewhere}
        )
        assert urlsplit(stated["Location"]).path == f"/people/{restricted.pk}/", elsewhere


def test_a_person_the_role_would_not_see_anyway_is_404_not_the_form(cast, history):
    import uuid

    client = _client(cast.sales)
    for page in ("", "marketing/"):
        response = client.get(f"/people/{uuid.uuid4()}/{page}")
        assert response.status_code == 404 and 'name="reason"' not in response.content.decode()
