"""A per-account ceiling across addresses: a delay that grows, not a lockout, and an alert."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from rekisteri.audit.models import AuditEvent
from rekisteri.outbox.models import OutgoingMail
from rekisteri.security.models import LoginFailure
from rekisteri.security.services.login_limits import DEVICE_COOKIE, delay_after

pytestmark = pytest.mark.django_db


def _login(client, username, password, ip):
    data = {"username": username, "password": password}
    return client.post(reverse("accounts:login"), data, REMOTE_ADDR=ip)


def _guess_from_many_addresses(username, count, start=0):
    """`count` wrong passwords, five from each address (axes' own limit per pair), each from a new browser."""
    for n in range(start, start + count):
        _login(Client(), username, f"guess {n}", ip=f"203.0.113.{n // 5}")
    # As if the guesses came as fast as an attacker sends them: on a slow machine the requests
    # themselves can outlast the one-second delay they earned, and the test would race the clock.
    last = LoginFailure.objects.order_by("-at").first()
    if last is not None:
        LoginFailure.objects.filter(pk=last.pk).update(at=timezone.now())


def _age_failures(seconds):
    LoginFailure.objects.update(at=timezone.now() - timedelta(seconds=seconds))


def test_fifty_guesses_from_ten_addresses_do_not_get_the_right_password_checked(cast, settings):
    _guess_from_many_addresses(cast.sales.username, 50)

    # Only the ceiling's worth of guesses and the delayed ones were checked; the rest waited.
    assert LoginFailure.objects.count() < 20
    # From a new address and a new browser, even the right password is not checked at once.
    response = _login(Client(), cast.sales.username, PASSWORD, ip="198.51.100.1")
    assert response.status_code == 429
    assert "Kirjautumista on hidastettu" in response.content.decode()


def test_the_owners_own_browser_is_not_slowed(cast, settings):
    owner = Client()
    assert _login(owner, cast.sales.username, PASSWORD, ip="198.51.100.1").status_code == 302
    assert owner.cookies[DEVICE_COOKIE].value
    owner.post(reverse("accounts:logout"))

    _guess_from_many_addresses(cast.sales.username, 30)

    # The owner logs in at once, from the same browser even from another address.
    assert _login(owner, cast.sales.username, PASSWORD, ip="198.51.100.77").status_code == 302


def test_a_device_cookie_of_another_account_does_not_help(cast, settings):
    other = Client()
    assert _login(other, cast.crm.username, PASSWORD, ip="198.51.100.1").status_code == 302
    other.post(reverse("accounts:logout"))
    _guess_from_many_addresses(cast.sales.username, settings.LOGIN_ACCOUNT_CEILING)

    assert _login(other, cast.sales.username, PASSWORD, ip="198.51.100.1").status_code == 429


def test_a_forged_device_cookie_does_not_help(cast, settings):
    _guess_from_many_addresses(cast.sales.username, settings.LOGIN_ACCOUNT_CEILING)
    client = Client()
    client.cookies[DEVICE_COOKIE] = "forged:value"

    assert _login(client, cast.sales.username, PASSWORD, ip="198.51.100.1").status_code == 429


def test_the_delay_grows_with_every_failure_up_to_the_maximum(settings):
    settings.LOGIN_ACCOUNT_CEILING = 10
    settings.LOGIN_ACCOUNT_MAX_DELAY_SECONDS = 900

    delays = [delay_after(n).total_seconds() for n in range(8, 24)]

    assert delays[:2] == [0, 0]
    assert delays[2:8] == [1, 2, 4, 8, 16, 32]
    assert delays[-1] == 900
    assert delays == sorted(delays)


def test_after_the_delay_an_attempt_is_checked_again(cast, settings):
    _guess_from_many_addresses(cast.sales.username, settings.LOGIN_ACCOUNT_CEILING)
    assert _login(Client(), cast.sales.username, PASSWORD, ip="198.51.100.1").status_code == 429

    _age_failures(delay_after(settings.LOGIN_ACCOUNT_CEILING).total_seconds() + 1)

    # It is no lockout: once the delay has passed, the right password works.
    assert _login(Client(), cast.sales.username, PASSWORD, ip="198.51.100.1").status_code == 302


def test_failures_older_than_the_window_no_longer_count(cast, settings):
    _guess_from_many_addresses(cast.sales.username, settings.LOGIN_ACCOUNT_CEILING)
    _age_failures(settings.LOGIN_ACCOUNT_WINDOW_HOURS * 3600 + 1)

    _login(Client(), cast.sales.username, "one more guess", ip="198.51.100.1")

    assert _login(Client(), cast.sales.username, PASSWORD, ip="198.51.100.2").status_code == 302
    assert LoginFailure.objects.count() == 1


def test_the_privacy_officer_is_alerted_once_per_window(cast, settings):
    cast.privacy_officer.email = "tero@example.fi"
    cast.privacy_officer.save()

    _guess_from_many_addresses(cast.sales.username, 40)

    alerts = list(OutgoingMail.objects.filter(kind="login_alert"))
    assert len(alerts) == 1
    assert alerts[0].to_address == "tero@example.fi"
    assert cast.sales.username in alerts[0].subject
    assert "2 eri osoitteesta" in alerts[0].body_text
    event = AuditEvent.objects.get(action="login_guessing")
    assert event.object_ids == f'["{cast.sales.pk}"]'


def test_a_name_that_is_no_account_is_slowed_alike_and_never_mailed(cast, settings):
    cast.privacy_officer.email = "tero@example.fi"
    cast.privacy_officer.save()
    typed = "MySecretPassword2025"  # a password typed into the name field

    _guess_from_many_addresses(typed, settings.LOGIN_ACCOUNT_CEILING)

    assert _login(Client(), typed, "x", ip="198.51.100.1").status_code == 429
    mail = OutgoingMail.objects.get(kind="login_alert")
    assert typed not in mail.subject and typed not in mail.body_text


def test_the_tables_hold_no_names_or_addresses(cast, settings):
    _guess_from_many_addresses(cast.sales.username, 3)

    stored = " ".join(f"{f.account_key} {f.address_key}" for f in LoginFailure.objects.all())
    assert cast.sales.username not in stored and "203.0.113" not in stored


def test_the_login_page_states_the_ceiling(client, settings):
    body = client.get(reverse("accounts:login")).content.decode()

    assert f"{settings.LOGIN_ACCOUNT_CEILING} epäonnistuneen kirjautumisen" in body
