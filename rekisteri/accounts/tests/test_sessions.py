"""Sessions end on the server: idle timeout, absolute lifetime, logout, password change,
deactivation, and the privacy officer's "end their sessions"; a new key at login."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from rekisteri.accounts.sessions import SEEN, STARTED
from rekisteri.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _log_in(user) -> Client:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _sessions_of(user) -> int:
    return sum(1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk))


def _shift(client, key, seconds):
    session = client.session
    session[key] -= seconds
    session.save()


def test_login_gives_the_session_a_new_key(cast):
    client = Client()
    client.get(reverse("accounts:login"))
    session = client.session
    session["anything"] = 1
    session.save()
    before = session.session_key

    client.post(reverse("accounts:login"), {"username": cast.sales.username, "password": PASSWORD})

    assert client.session.session_key != before
    assert not Session.objects.filter(session_key=before).exists()


def test_a_session_ends_after_the_idle_time(cast, settings):
    client = _log_in(cast.sales)
    assert client.get("/").status_code == 200
    _shift(client, SEEN, settings.SESSION_IDLE_SECONDS + 1)

    response = client.get("/")

    assert response.status_code == 302 and reverse("accounts:login") in response.url
    assert _sessions_of(cast.sales) == 0


def test_activity_keeps_a_session_alive(cast, settings):
    client = _log_in(cast.sales)
    _shift(client, SEEN, settings.SESSION_IDLE_SECONDS - 120)

    assert client.get("/").status_code == 200
    assert client.get("/").status_code == 200


def test_a_session_ends_at_its_absolute_lifetime_however_active(cast, settings):
    client = _log_in(cast.sales)
    _shift(client, STARTED, settings.SESSION_COOKIE_AGE + 1)

    response = client.get("/")

    assert response.status_code == 302
    assert _sessions_of(cast.sales) == 0


def test_logout_deletes_the_session_on_the_server(cast):
    client = _log_in(cast.sales)
    key = client.session.session_key

    client.post(reverse("accounts:logout"))

    assert not Session.objects.filter(session_key=key).exists()


def test_a_password_change_ends_every_other_session(cast):
    elsewhere = _log_in(cast.sales)
    here = _log_in(cast.sales)

    response = here.post(
        reverse("web:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new passphrase 7",
            "new_password2": "a brand new passphrase 7",
        },
    )

    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    assert _sessions_of(cast.sales) == 1


def test_deactivation_ends_every_session_and_revokes_tokens(cast):
    from rekisteri.accounts.models import ApiToken
    from rekisteri.accounts.services import token_create
    from rekisteri.audit.actor import Actor

    member = _log_in(cast.sales)
    token_create(actor=Actor.system("test"), user=cast.sales)
    admin = Client()
    admin.force_login(cast.admin)

    response = admin.post(reverse("web:staff_deactivate", args=[cast.sales.pk]))

    assert response.status_code == 302
    cast.sales.refresh_from_db()
    assert not cast.sales.is_active
    assert _sessions_of(cast.sales) == 0
    assert member.get("/").status_code == 302
    assert not ApiToken.objects.filter(user=cast.sales, revoked_at__isnull=True).exists()


def test_the_privacy_officer_ends_a_members_sessions(cast):
    first, second = _log_in(cast.sales), _log_in(cast.sales)
    officer = Client()
    officer.force_login(cast.privacy_officer)

    response = officer.post(reverse("web:staff_sessions_end", args=[cast.sales.pk]))

    assert response.status_code == 302
    assert first.get("/").status_code == 302 and second.get("/").status_code == 302
    event = AuditEvent.objects.get(action="sessions_end")
    assert '"sessions":2' in event.detail.replace(" ", "")


def test_only_the_privacy_officer_and_admin_end_sessions(cast):
    client = Client()
    client.force_login(cast.crm)

    assert client.post(reverse("web:staff_sessions_end", args=[cast.sales.pk])).status_code == 403
