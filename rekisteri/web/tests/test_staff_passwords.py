"""Staff passwords: a member changes their own; the privacy officer or an administrator gives a
temporary one, shown once, which must be changed at the next login."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD, make_staff
from rekisteri.accounts.models import Role, StaffProfile
from rekisteri.web.tests.conftest import events

pytestmark = pytest.mark.django_db

CHANGE = reverse("web:password_change")
STAFF = reverse("web:staff_list")
NEW_PASSWORD = "Kolme kissaa ja kaksi koiraa 7"


def _reset_url(user) -> str:
    return reverse("web:staff_password_reset", args=[user.pk])


def _real_login(username: str, password: str) -> tuple[Client, int]:
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR="10.0.0.9"
    )
    return client, response.status_code


def _fresh(user):
    return get_user_model().objects.get(pk=user.pk)


# --- changing one's own password -----------------------------------------------------------


def test_a_member_changes_their_password_and_stays_logged_in(login, cast):
    client = login(cast.sales)

    response = client.post(
        CHANGE, {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response.status_code == 302 and response["Location"] == reverse("web:dashboard")
    assert _fresh(cast.sales).check_password(NEW_PASSWORD)
    assert client.get(reverse("web:dashboard")).status_code == 200  # update_session_auth_hash
    [event] = events(action="password_change")
    assert event.object_type == "staff" and json.loads(event.object_ids) == [str(cast.sales.pk)]
    assert event.actor_user_id == cast.sales.pk
    assert NEW_PASSWORD not in event.detail and PASSWORD not in event.detail


def test_the_members_other_sessions_end(login, cast):
    elsewhere, status = _real_login(cast.sales.username, PASSWORD)
    assert status == 302

    login(cast.sales).post(
        CHANGE, {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    response = elsewhere.get(reverse("web:dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("väärä salasana", NEW_PASSWORD, "old_password"),
        (PASSWORD, "lyhyt", "new_password2"),  # the validators: 12 characters at least
        (PASSWORD, "password1234", "new_password2"),  # too common
    ],
)
def test_a_wrong_old_password_or_a_weak_new_one_is_refused(login, cast, old, new, field):
    response = login(cast.sales).post(
        CHANGE, {"old_password": old, "new_password1": new, "new_password2": new}
    )

    assert response.status_code == 200
    assert f'id="id_{field}_error"' in response.content.decode()
    assert _fresh(cast.sales).check_password(PASSWORD)
    assert events(action="password_change") == []


def test_the_page_is_in_finnish_with_the_rules_of_a_good_password(login, cast):
    body = login(cast.sales).get(CHANGE).content.decode()

    assert "Vaihda salasanasi" in body
    assert 'autocomplete="current-password"' in body
    assert 'aria-describedby="id_new_password1_help"' in body
    assert "12" in body  # the minimum length, from the validators


# --- temporary passwords ---------------------------------------------------------------------


def test_the_privacy_officer_gives_a_temporary_password_shown_once(login, cast):
    response = login(cast.privacy_officer).post(_reset_url(cast.sales))

    body = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    temporary = re.search(r'<p class="temporary-password"><code>([^<]+)</code>', body)[1]
    assert len(temporary) >= 16
    sales = _fresh(cast.sales)
    assert sales.check_password(temporary) and not sales.check_password(PASSWORD)
    assert StaffProfile.objects.get(user=sales).must_change_password
    [event] = events(action="password_reset")
    assert event.actor_user_id == cast.privacy_officer.pk
    assert json.loads(event.object_ids) == [str(cast.sales.pk)]
    assert temporary not in event.detail
    # Shown once: the staff list afterwards flags the account but shows no password.
    listing = login(cast.privacy_officer).get(STAFF).content.decode()
    assert temporary not in listing
    assert "Tilapäinen: vaihdettava kirjauduttaessa" in listing


def test_an_administrator_may_give_one_too(login, cast):
    response = login(cast.admin).post(_reset_url(cast.trainer))

    assert response.status_code == 200
    assert StaffProfile.objects.get(user=cast.trainer).must_change_password


def test_a_temporary_password_leads_to_the_password_change_until_it_is_changed(login, cast):
    body = login(cast.privacy_officer).post(_reset_url(cast.sales)).content.decode()
    temporary = re.search(r'<p class="temporary-password"><code>([^<]+)</code>', body)[1]

    client, status = _real_login(cast.sales.username, temporary)

    assert status == 302
    for page in (reverse("web:dashboard"), reverse("web:search"), reverse("web:organizations")):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"] == CHANGE, page
    page = client.get(CHANGE).content.decode()
    assert "Kirjauduit tilapäisellä salasanalla" in page
    response = client.post(
        CHANGE, {"old_password": temporary, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert not StaffProfile.objects.get(user=cast.sales).must_change_password
    assert client.get(reverse("web:dashboard")).status_code == 200


def test_a_reset_lifts_the_login_lock_of_the_account(login, cast, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _real_login(cast.sales.username, "väärä salasana")
    assert _real_login(cast.sales.username, PASSWORD)[1] == 429

    body = login(cast.privacy_officer).post(_reset_url(cast.sales)).content.decode()
    temporary = re.search(r'<p class="temporary-password"><code>([^<]+)</code>', body)[1]

    assert _real_login(cast.sales.username, temporary)[1] == 302


def test_nobody_gives_themselves_a_temporary_password(login, cast):
    client = login(cast.privacy_officer)

    response = client.post(_reset_url(cast.privacy_officer), follow=True)

    assert "Vaihda oma salasanasi salasanasivulla." in response.content.decode()
    assert _fresh(cast.privacy_officer).check_password(PASSWORD)
    assert events(action="password_reset") == []


def test_only_active_staff_members_can_be_given_one(login, cast):
    client = login(cast.privacy_officer)

    for user in (cast.inactive, cast.outsider, cast.superuser_no_nda):
        assert client.post(_reset_url(user)).status_code == 404
        assert _fresh(user).check_password(PASSWORD)


def test_the_staff_list_names_the_members_and_is_audited(login, cast):
    make_staff("sari.laine", Role.SALES, date(2024, 1, 15), first_name="Sari", last_name="Laine")

    body = login(cast.admin).get(STAFF).content.decode()

    assert "Sari Laine (sari.laine)" in body
    assert "Myynti" in body  # the role's label
    # The active members with a staff role (six, two without an NDA yet, Sari), but not oneself.
    assert body.count("Anna tilapäinen salasana") == 8
    assert cast.inactive.username not in body and cast.outsider.username not in body
    [event] = events(action="list", object_type="staff")
    assert str(cast.sales.pk) in json.loads(event.object_ids)
