"""The privacy officer browses the audit trail by person, staff member and date."""

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rekisteri.audit.actor import Actor
from rekisteri.audit.models import AuditEvent
from rekisteri.audit.services import audit_record
from rekisteri.web.tests.conftest import events

pytestmark = pytest.mark.django_db

URL = reverse("web:audit")


def _rows(body: str) -> list[int]:
    """The sequence numbers shown, in page order."""
    return [int(seq) for seq in re.findall(r"<td class=\"num[^\"]*\">(\d+)</td>", body)]


def test_the_privacy_officer_sees_events_in_words_with_names_of_staff_and_persons(login, cast, person):
    cast.sales.first_name, cast.sales.last_name = "Sanna", "Myyjä"
    cast.sales.save()
    login(cast.sales).get(reverse("web:person_card", args=[person.pk]))

    response = login(cast.privacy_officer).get(URL)

    body = response.content.decode()
    assert response.status_code == 200
    assert "Sanna Myyjä (sanna.sales)" in body
    assert "Anna Virtanen" in body
    assert f'title="{person.pk}"' in body
    assert "Asiakassuhteen ja asiakaspalvelun hoitaminen" in body
    assert "Katselu" in body and "Henkilö" in body and "Käyttöliittymä" in body
    view = events(action="view", object_type="person", actor_user_id=cast.sales.pk)[0]
    assert view.seq in _rows(body)


def test_reading_the_names_is_audited_with_ids_only(login, cast, person):
    login(cast.sales).get(reverse("web:person_card", args=[person.pk]))

    login(cast.privacy_officer).get(URL)

    [names_read] = events(action="view", object_type="person", actor_user_id=cast.privacy_officer.pk)
    assert json.loads(names_read.person_ids) == [str(person.pk)]
    assert json.loads(names_read.detail) == {"fields": ["first_name", "last_name"], "via": "audit_trail"}
    assert "Virtanen" not in names_read.detail + names_read.object_ids


def test_an_erased_person_is_named_as_such(login, cast, person, system_actor):
    from rekisteri.privacy.erasure import person_erase

    login(cast.sales).get(reverse("web:person_card", args=[person.pk]))
    person_erase(actor=system_actor, person_id=person.pk, reason="erasure_request")

    body = login(cast.privacy_officer).get(URL, {"person": str(person.pk)}).content.decode()

    assert "poistettu henkilö" in body
    assert "Virtanen" not in body
    assert _rows(body)


def test_roles_without_the_audit_permission_get_403(login, cast):
    for member in [cast.sales, cast.crm, cast.marketing, cast.trainer, cast.admin]:
        assert login(member).get(URL).status_code == 403, member.username


def test_filtering_by_person_shows_only_that_persons_events(login, cast, person, system_actor):
    from rekisteri.people.services import person_create

    other = person_create(actor=system_actor, first_name="Olli", last_name="Muu")
    client = login(cast.privacy_officer)

    body = client.get(URL, {"person": str(person.pk)}).content.decode()

    shown = _rows(body)
    about_person = [e.seq for e in AuditEvent.objects.filter(subjects__person_id=person.pk)]
    assert shown and set(shown) <= set(about_person)
    assert str(other.pk) not in body
    assert "Anna Virtanen" in body


def test_a_person_is_found_by_name_for_the_filter(login, cast, person, system_actor):
    from rekisteri.people.services import person_create

    other = person_create(actor=system_actor, first_name="Olli", last_name="Muu")
    client = login(cast.privacy_officer)

    body = client.get(URL, {"person": "anna virt"}).content.decode()

    shown = _rows(body)
    about_person = {e.seq for e in AuditEvent.objects.filter(subjects__person_id=person.pk)}
    assert shown and set(shown) <= about_person
    assert str(other.pk) not in body
    # The name search is the search page's: audited as a search, without the terms.
    search = events(action="search", object_type="person", actor_user_id=cast.privacy_officer.pk)[-1]
    assert json.loads(search.person_ids) == [str(person.pk)]
    assert "anna" not in search.detail.lower()
    [listing] = events(object_type="audit_event")
    assert json.loads(listing.person_ids) == [str(person.pk)]


def test_several_matching_persons_are_offered_to_choose_from(login, cast, person, system_actor):
    from rekisteri.people.services import person_create

    namesake = person_create(actor=system_actor, first_name="Aino", last_name="Virtanen")
    client = login(cast.privacy_officer)

    body = client.get(URL, {"person": "Virtanen"}).content.decode()

    assert "Useampi henkilö täsmää" in body
    assert f"person={person.pk}" in body and f"person={namesake.pk}" in body
    assert _rows(body) == []


def test_a_name_nobody_has_is_an_inline_error_and_shows_no_events(login, cast, person):
    body = login(cast.privacy_officer).get(URL, {"person": "Nimetön Olematon"}).content.decode()

    assert 'id="id_person_error"' in body
    assert _rows(body) == []


def test_filtering_by_staff_member_and_date(login, cast, person):
    login(cast.sales).get(reverse("web:person_card", args=[person.pk]))
    login(cast.crm).get(reverse("web:person_card", args=[person.pk]))
    client = login(cast.privacy_officer)

    by_sales = _rows(client.get(URL, {"actor": cast.sales.pk}).content.decode())
    today = timezone.localdate()
    yesterday = client.get(URL, {"date_to": (today - timedelta(days=1)).isoformat()}).content.decode()
    today_only = _rows(
        client.get(URL, {"date_from": today.isoformat(), "date_to": today.isoformat()}).content.decode()
    )

    assert by_sales == [e.seq for e in events(actor_user_id=cast.sales.pk)][::-1]
    assert _rows(yesterday) == []
    assert len(today_only) >= 3


def test_the_trail_pages_by_sequence_newest_first(login, cast):
    actor = Actor.system("test", origin="cli")
    for _ in range(60):
        audit_record(actor=actor, action="view", object_type="thing", object_ids=[1])
    client = login(cast.privacy_officer)

    first = client.get(URL).content.decode()
    older_link = re.search(r'href="\?before=(\d+)"', first)
    second = client.get(URL, {"before": older_link.group(1)}).content.decode()

    assert _rows(first) == list(range(60, 10, -1))
    assert _rows(second)[:10] == list(range(10, 0, -1))
    newer_link = re.search(r'href="\?after=(\d+)"', second)
    assert _rows(client.get(URL, {"after": newer_link.group(1)}).content.decode())[0] > 11


def test_browsing_the_trail_is_itself_audited_without_personal_values(login, cast, person):
    login(cast.privacy_officer).get(URL, {"person": str(person.pk)})

    [event] = events(object_type="audit_event")
    assert event.action == "list"
    assert event.actor_user_id == cast.privacy_officer.pk
    assert json.loads(event.person_ids) == [str(person.pk)]
    assert json.loads(event.detail)["filters"] == ["person"]


def test_an_invalid_filter_is_shown_inline(login, cast):
    body = login(cast.privacy_officer).get(URL, {"person": "not-a-uuid"}).content.decode()

    assert 'id="id_person_error"' in body


def test_the_chain_can_be_verified_from_the_page(login, cast, person):
    client = login(cast.privacy_officer)

    response = client.post(reverse("web:audit_verify"), follow=True)

    assert response.status_code == 200
    assert "Lokiketju on eheä" in response.content.decode()
    assert login(cast.sales).post(reverse("web:audit_verify")).status_code == 403


def test_a_tampered_checkpoint_file_is_reported_on_the_page(login, cast, person, settings):
    from rekisteri.audit.services import audit_checkpoint

    audit_checkpoint()
    settings.AUDIT_CHECKPOINT_FILE.write_text(
        settings.AUDIT_CHECKPOINT_FILE.read_text().replace('"seq":', '"seq":1')
    )

    response = login(cast.privacy_officer).post(reverse("web:audit_verify"), follow=True)

    body = response.content.decode()
    assert "Lokiketjun eheyttä ei voitu varmistaa" in body and "line 1 has no valid signature" in body
