import pytest
from django.urls import reverse

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_a_staff_member_can_log_in_and_out(client, cast):
    response = _login(client, cast.sales.username, PASSWORD)
    assert response.status_code == 302
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account_from_that_client(client, cast, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, cast.sales.username, "wrong password")
    response = _login(client, cast.sales.username, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_one_attacker_cannot_lock_out_the_same_account_elsewhere(client, cast, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, cast.sales.username, "wrong password", ip="10.6.6.6")
    response = _login(client, cast.sales.username, PASSWORD, ip="10.0.0.2")
    assert response.status_code == 302


def test_one_attacker_cannot_lock_out_other_accounts(client, cast, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, cast.sales.username, "wrong password", ip="10.6.6.6")
    response = _login(client, cast.crm.username, PASSWORD, ip="10.6.6.6")
    assert response.status_code == 302


def test_the_lock_cools_off(client, cast, settings):
    from axes.models import AccessAttempt, AccessAttemptExpiration
    from django.utils import timezone

    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, cast.sales.username, "wrong password")
    assert _login(client, cast.sales.username, PASSWORD).status_code == 429
    # Let the cool-off period pass.
    past = timezone.now() - settings.AXES_COOLOFF_TIME - timezone.timedelta(minutes=1)
    AccessAttempt.objects.update(attempt_time=past)
    AccessAttemptExpiration.objects.update(expires_at=past)
    response = _login(client, cast.sales.username, PASSWORD)
    assert response.status_code == 302


def test_the_login_page_says_how_long_a_lock_lasts(client, settings):
    body = client.get(reverse("accounts:login")).content.decode()

    assert (
        f"Jos kirjautuminen epäonnistuu {settings.AXES_FAILURE_LIMIT} kertaa, kirjautuminen tunnukselle "
        "osoitteestasi estetään 15 minuutiksi." in body
    )


def test_the_duration_comes_from_the_settings(client, settings):
    from datetime import timedelta

    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(hours=1)
    client.cookies["django_language"] = "en"

    body = client.get(reverse("accounts:login")).content.decode()

    assert (
        "After 3 failed attempts, logging in to the account from your address is paused for 60 minutes."
        in body
    )


def test_the_locked_out_page_says_how_long_the_lock_lasts(client, cast, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, cast.sales.username, "wrong password")

    response = _login(client, cast.sales.username, PASSWORD)

    body = response.content.decode()
    assert response.status_code == 429
    assert "Liian monta epäonnistunutta kirjautumista" in body
    assert "Esto kestää 15 minuuttia." in body
    assert "_auth_user_id" not in client.session


# --- behind a reverse proxy -------------------------------------------------------------------


def _login_via_proxy(client, username, password, visitor, proxy="10.0.0.254"):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR=visitor,
    )


def test_behind_a_trusted_proxy_one_visitor_cannot_lock_the_account_for_everyone(client, cast, settings):
    settings.TRUSTED_PROXIES = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login_via_proxy(client, cast.sales.username, "wrong password", visitor="203.0.113.66")

    # The attacker is locked out; the owner, through the same proxy, is not.
    assert _login_via_proxy(client, cast.sales.username, PASSWORD, visitor="203.0.113.66").status_code == 429
    assert _login_via_proxy(client, cast.sales.username, PASSWORD, visitor="198.51.100.5").status_code == 302


def test_behind_a_trusted_proxy_a_forged_header_does_not_escape_the_lock(client, cast, settings):
    settings.TRUSTED_PROXIES = 1
    for n in range(settings.AXES_FAILURE_LIMIT):
        # The attacker writes a new address each time; the proxy appends the real one.
        _login_via_proxy(client, cast.sales.username, "wrong password", visitor=f"10.9.9.{n}, 203.0.113.66")

    response = _login_via_proxy(client, cast.sales.username, PASSWORD, visitor="10.9.9.99, 203.0.113.66")
    assert response.status_code == 429


def test_without_trusted_proxies_the_header_is_ignored(client, cast, settings):
    settings.TRUSTED_PROXIES = 0
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login_via_proxy(client, cast.sales.username, "wrong password", visitor=f"203.0.113.{n}")

    # Every attempt counted against the connecting address, whatever the header said.
    response = _login_via_proxy(client, cast.sales.username, PASSWORD, visitor="198.51.100.5")
    assert response.status_code == 429


def test_the_deploy_check_warns_of_a_proxy_with_none_trusted(settings):
    from rekisteri.accounts.checks import proxies_counted

    settings.BEHIND_PROXY, settings.TRUSTED_PROXIES = True, 0
    assert [w.id for w in proxies_counted(None)] == ["rekisteri.accounts.W001"]
    settings.TRUSTED_PROXIES = 1
    assert proxies_counted(None) == []
