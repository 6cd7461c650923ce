"""Staff: their role, their signed confidentiality agreement, and their API tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SALES = "sales", _("Sales")
    CRM = "crm", _("Customer relationship management")
    MARKETING = "marketing", _("Marketing")
    TRAINER = "trainer", _("Trainer")
    PRIVACY_OFFICER = "privacy_officer", _("Privacy officer")
    ADMIN = "admin", _("Administrator")


class StaffProfile(models.Model):
    """What the notice's section 11 requires of anyone who may see personal data."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    # Section 11: only named staff who signed a confidentiality agreement get access.
    nda_signed_on = models.DateField(null=True, blank=True)
    # Set when the privacy officer or an administrator gave a temporary password: every page
    # leads to the password change until the member has chosen their own.
    must_change_password = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = [("reset_password", "Can reset another staff member's password")]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.role})"


class ApiToken(models.Model):
    """A bearer token for the REST API. Only a SHA-256 hash of the secret is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    # The first characters of the token, shown in lists so staff can tell tokens apart.
    prefix = models.CharField(max_length=12)
    # Serves the lookup on every API request.
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user.get_username()})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyKey(models.Model):
    """A submission already handled: a form's one-time token or an API Idempotency-Key.

    Only a SHA-256 hash of the key is stored. The row names what the first submission
    created, so a repeat (a double click, a reload, going back and sending again, a
    client's retry) is answered with that instead of creating a second copy. Kept 24 hours.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Where the key was used, e.g. "ui:person_new" or "api:person_create".
    scope = models.CharField(max_length=40)
    key_hash = models.CharField(max_length=64)
    # A hash of what was submitted, so a key reused for other content is refused (API).
    fingerprint = models.CharField(max_length=64, blank=True)
    # The id of what the first submission created (a person's UUID, an organization's number).
    result_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Its index serves the lookup; claiming a key is inserting this row.
            models.UniqueConstraint(fields=["user", "scope", "key_hash"], name="idempotency_key_once"),
        ]
        indexes = [
            # Serves removing expired keys.
            models.Index(fields=["created_at"], name="idempotency_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} key of user {self.user_id}"
