"""Failed logins per account (across addresses) and the alerts they raised; the second factor.

No user names or addresses are stored: accounts and clients are keyed HMACs, so the table
tells an attacker who reads it nothing about who was tried from where.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin

from rekisteri.encryption.fields import EncryptedTextField
from rekisteri.lib.ids import uuid7


class LoginFailure(models.Model):
    """One wrong password for an account, from a browser that had not logged in to it before."""

    account_key = models.CharField(max_length=64)
    address_key = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # Serves counting an account's failures in the window, and removing old ones.
            models.Index(fields=["account_key", "at"], name="login_failure_account_idx"),
            models.Index(fields=["at"], name="login_failure_at_idx"),
        ]

    def __str__(self) -> str:
        return f"login failure at {self.at:%Y-%m-%d %H:%M}"


class LoginAlert(models.Model):
    """The privacy officer was told of guessing against an account (once per window)."""

    account_key = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # Serves "alerted already in this window?".
            models.Index(fields=["account_key", "at"], name="login_alert_account_idx"),
        ]

    def __str__(self) -> str:
        return f"login alert at {self.at:%Y-%m-%d %H:%M}"


class TOTPDevice(ThrottlingMixin, Device):
    """A staff member's authenticator app (RFC 6238: six digits, 30-second steps).

    django-otp's own TOTPDevice keeps the secret in plain text; here it is encrypted under a
    data key of the device's own (created by the service), so a copy of the database gives no
    second factor, and a reset destroys the key. One confirmed device per member; an
    unconfirmed one exists only between showing the QR code and the first correct code.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    # The shared secret, base32 as the authenticator apps take it.
    secret = EncryptedTextField(person_attr="pk", max_length=64)
    # The time step of the last code accepted: a code is good once (replay refused).
    last_t = models.BigIntegerField(default=-1)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "TOTP device"

    def get_throttle_factor(self) -> int:
        # Wrong codes double the wait: 1, 2, 4 ... seconds (django-otp's ThrottlingMixin).
        return 1


class BackupCode(models.Model):
    """A single-use code for when the authenticator is not at hand. Only a keyed hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # Its index serves finding a code at login.
            models.UniqueConstraint(fields=["user", "code_hash"], name="backup_code_once"),
        ]

    def __str__(self) -> str:
        return f"backup code of user {self.user_id}"
