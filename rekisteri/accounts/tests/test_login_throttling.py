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
