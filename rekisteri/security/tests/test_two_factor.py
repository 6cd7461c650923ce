"""Two-factor login: the first login leads to enrolment, codes are good once, backup codes are
hashed and single-use, secrets are encrypted at rest, and who must use it."""

from __future__ import annotations

import base64
import re
import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP

from conftest import PASSWORD
from rekisteri.audit.actor import Actor
from rekisteri.audit.models import AuditEvent
from rekisteri.security.models import BackupCode, TOTPDevice
from rekisteri.security.services.two_factor import (
    totp_enrol_start,
    two_factor_required,
    two_factor_reset,
)
from rekisteri.security.testing import TEST_SECRET, enrolled_device

pytestmark = pytest.mark.django_db


def code(secret: str, offset_steps: int = 0) -> str:
    totp = TOTP(base64.b32decode(secret), step=30, digits=6)
    totp.time = time.time() + 30 * offset_steps
    return f"{totp.token():06d}"


def _password(client, user):
    return client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})


def _enrol_through_the_pages(client, user):
    """Log in with the password, set up the app from the setup page; returns the backup codes."""
    response = _password(client, user)
    response = client.get(response.url, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:two_factor_setup"))
    body = response.content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', body)[1].replace(" ", "")
    assert 'src="data:image/svg+xml' in body  # the QR code, drawn here
    response = client.post(reverse("accounts:two_factor_setup"), {"token": code(secret), "next": "/"})
    assert response.status_code == 200
    codes = re.findall(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>", response.content.decode())
    return secret, codes


def test_the_first_login_of_the_privacy_officer_leads_to_enrolment_and_then_in(cast):
    client = Client()
    secret, codes = _enrol_through_the_pages(client, cast.privacy_officer)

    assert len(codes) == 10
    assert client.get("/").status_code == 200
    device = TOTPDevice.objects.get(user=cast.privacy_officer)
    assert device.confirmed and device.secret == secret
    assert AuditEvent.objects.filter(action="two_factor_enrol").count() == 1


def test_until_the_second_factor_no_page_opens(cast):
    enrolled_device(cast.admin)
    client = Client()
    _password(client, cast.admin)

    for path in ("/", "/people/", "/staff/", "/audit/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:two_factor"))


def test_a_code_from_the_app_lets_the_member_in_once(cast):
    enrolled_device(cast.admin)
    client = Client()
    _password(client, cast.admin)
    first = code(TEST_SECRET)

    response = client.post(reverse("accounts:two_factor"), {"token": first, "next": "/people/"})
    assert response.status_code == 302 and response.url == "/people/"
    assert client.get("/").status_code == 200

    # The same code again, in another login: a replay, refused.
    other = Client()
    _password(other, cast.admin)
    response = other.post(reverse("accounts:two_factor"), {"token": first})
    assert response.status_code == 200
    assert other.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="two_factor_failed").count() == 1


def test_an_older_code_than_the_last_accepted_is_refused(cast):
    enrolled_device(cast.admin)
    client = Client()
    _password(client, cast.admin)
    client.post(reverse("accounts:two_factor"), {"token": code(TEST_SECRET)})

    other = Client()
    _password(other, cast.admin)
    other.post(reverse("accounts:two_factor"), {"token": code(TEST_SECRET, -1)})

    assert other.get("/").status_code == 302


def test_a_wrong_code_is_refused_and_slows_the_next_try(cast):
    enrolled_device(cast.admin)
    client = Client()
    _password(client, cast.admin)

    client.post(
        reverse("accounts:two_factor"), {"token": "000000" if code(TEST_SECRET) != "000000" else "111111"}
    )
    # Even the right code waits out the throttle (1 s after one failure).
    client.post(reverse("accounts:two_factor"), {"token": code(TEST_SECRET)})

    assert client.get("/").status_code == 302
    assert TOTPDevice.objects.get(user=cast.admin).throttling_failure_count >= 1


def test_backup_codes_are_hashed_and_work_once(cast):
    client = Client()
    _secret, codes = _enrol_through_the_pages(client, cast.privacy_officer)
    stored = " ".join(BackupCode.objects.values_list("code_hash", flat=True))
    assert not any(c.replace("-", "") in stored or c in stored for c in codes)

    other = Client()
    _password(other, cast.privacy_officer)
    assert other.post(reverse("accounts:two_factor"), {"token": codes[0].upper()}).status_code == 302
    assert other.get("/").status_code == 200

    third = Client()
    _password(third, cast.privacy_officer)
    third.post(reverse("accounts:two_factor"), {"token": codes[0]})
    assert third.get("/").status_code == 302


def test_the_secret_is_encrypted_at_rest(cast):
    device = totp_enrol_start(actor=Actor.system("test"), user=cast.admin)

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secret FROM {TOTPDevice._meta.db_table} WHERE id = %s", [device.pk.hex])
        rows = cursor.fetchall()
    if not rows:  # PostgreSQL stores the uuid natively
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT secret FROM {TOTPDevice._meta.db_table} WHERE id = %s", [device.pk])
            rows = cursor.fetchall()
    stored = bytes(rows[0][0])
    assert device.secret.encode() not in stored
    assert base64.b32decode(device.secret) not in stored


def test_a_member_with_a_device_cannot_enrol_another_with_the_password_alone(cast):
    enrolled_device(cast.admin)
    client = Client()
    _password(client, cast.admin)

    response = client.get(reverse("accounts:two_factor_setup"))

    assert response.status_code == 302 and response.url.startswith(reverse("accounts:two_factor"))
    assert TOTPDevice.objects.filter(user=cast.admin).count() == 1


def test_who_must_give_a_second_factor(cast, settings):
    settings.TWO_FACTOR_ALL_ROLES = False
    assert two_factor_required(cast.privacy_officer) and two_factor_required(cast.admin)
    assert not two_factor_required(cast.sales)
    # A member who set it up voluntarily uses it.
    enrolled_device(cast.sales)
    assert two_factor_required(cast.sales)
    # Production: every role.
    settings.TWO_FACTOR_ALL_ROLES = True
    assert all(two_factor_required(user) for user in cast.with_access())


def test_in_production_settings_a_salesperson_is_led_to_enrolment(cast, settings):
    settings.TWO_FACTOR_ALL_ROLES = True
    client = Client()
    _password(client, cast.sales)

    response = client.get("/")

    assert response.url.startswith(reverse("accounts:two_factor_setup"))


def test_without_production_settings_a_salesperson_logs_in_with_the_password(cast, settings):
    settings.TWO_FACTOR_ALL_ROLES = False
    client = Client()
    _password(client, cast.sales)

    assert client.get("/").status_code == 200


def test_api_tokens_are_not_affected(cast, settings):
    from rekisteri.accounts.services import token_create

    settings.TWO_FACTOR_ALL_ROLES = True
    _token, raw = token_create(actor=Actor.system("test"), user=cast.privacy_officer)

    response = Client().get("/api/v1/organizations", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 200


def test_a_reset_removes_the_device_and_codes_and_ends_the_sessions(cast):
    client = Client()
    _enrol_through_the_pages(client, cast.admin)
    assert client.get("/").status_code == 200

    two_factor_reset(actor=Actor.for_user(cast.privacy_officer, "ui"), user=cast.admin)

    assert not TOTPDevice.objects.filter(user=cast.admin).exists()
    assert not BackupCode.objects.filter(user=cast.admin).exists()
    assert client.get("/").status_code == 302  # logged out
    # The next login leads to a new enrolment.
    again = Client()
    _password(again, cast.admin)
    assert again.get("/").url.startswith(reverse("accounts:two_factor_setup"))


def test_the_staff_page_resets_a_members_second_factor(cast):
    enrolled_device(cast.admin)
    officer = Client()
    officer.force_login(cast.privacy_officer)

    body = officer.get(reverse("web:staff_list")).content.decode()
    assert reverse("web:staff_two_factor_reset", args=[cast.admin.pk]) in body
    response = officer.post(reverse("web:staff_two_factor_reset", args=[cast.admin.pk]))

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=cast.admin).exists()
    assert AuditEvent.objects.filter(action="two_factor_reset").count() == 1


def test_a_member_gets_new_backup_codes_on_their_security_page(cast):
    client = Client()
    _secret, old = _enrol_through_the_pages(client, cast.admin)

    response = client.post(reverse("web:backup_codes_new"))
    new = re.findall(r"<code>([a-z2-9-]{14})</code>", response.content.decode())

    assert len(new) == 10 and not set(new) & set(old)
    assert BackupCode.objects.filter(user=cast.admin).count() == 10
    assert "10 käyttämätöntä varakoodia" in client.get(reverse("web:security_settings")).content.decode()
