"""Two-factor login with an authenticator app (TOTP, RFC 6238) and single-use backup codes.

Required of every staff member under production settings and of the privacy officer and
administrators everywhere (settings.TWO_FACTOR_ROLES); a member who has enrolled uses it too.
The API's bearer tokens are a separate credential and are not affected.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.oath import TOTP

from rekisteri.accounts.access import user_role
from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.errors import ServiceError
from rekisteri.keystore.services import create_keys, key_destroy
from rekisteri.lib.ids import uuid7
from rekisteri.security.models import BackupCode, TOTPDevice

STEP = 30
DIGITS = 6
# One step either way: a phone's clock a little off still works.
TOLERANCE = 1
BACKUP_CODES = 10
# 12 characters of 31 (59 bits), read and typed as three groups of four.
_BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_BACKUP_LENGTH = 12
ISSUER = "rekisteri"


def two_factor_required(user) -> bool:
    """Must this member give a second factor after their password?"""
    if settings.TWO_FACTOR_ALL_ROLES:
        return True
    if user_role(user) in settings.TWO_FACTOR_ROLES:
        return True
    return confirmed_device(user) is not None


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def enrolled_user_ids(user_ids: list[int]) -> set[int]:
    """Of these members, those with a confirmed authenticator."""
    return set(
        TOTPDevice.objects.filter(user_id__in=user_ids, confirmed=True).values_list("user_id", flat=True)
    )


def _totp(device: TOTPDevice) -> TOTP:
    return TOTP(base64.b32decode(device.secret), step=STEP, digits=DIGITS)


def provisioning_uri(device: TOTPDevice) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    from urllib.parse import quote

    label = quote(f"{ISSUER}:{device.user.get_username()}")
    return (
        f"otpauth://totp/{label}?secret={device.secret}&issuer={ISSUER}"
        f"&algorithm=SHA1&digits={DIGITS}&period={STEP}"
    )


def qr_svg(device: TOTPDevice) -> str:
    """The QR code as an SVG data: URI (the CSP allows data: images), drawn here: the secret
    goes to no outside service."""
    return segno.make(provisioning_uri(device), error="m").svg_data_uri(scale=4, border=2)


def totp_enrol_start(*, actor: Actor, user) -> TOTPDevice:
    """A new, unconfirmed device with a fresh secret; confirmed by the first correct code.

    A confirmed device the member already has keeps working until the new one is confirmed.
    """
    with transaction.atomic():
        _devices_destroy(TOTPDevice.objects.filter(user=user, confirmed=False))
        device_id = uuid7()
        # The device's own data key, by name, before the row whose secret it encrypts.
        create_keys([device_id])
        device = TOTPDevice(
            id=device_id,
            user=user,
            name="authenticator",
            confirmed=False,
            secret=base64.b32encode(secrets.token_bytes(20)).decode(),
        )
        device.save(force_insert=True)
        audit_record(actor=actor, action="two_factor_enrol_start", object_type="staff", object_ids=[user.pk])
    return device


def totp_enrol_confirm(*, actor: Actor, device: TOTPDevice, token: str) -> list[str]:
    """Confirm an enrolment with a code from the app; returns new backup codes, shown once."""
    if device.confirmed:
        raise ServiceError(_("This authenticator is already in use."), code="two_factor.already_confirmed")
    if not totp_verify(device=device, token=token):
        raise ServiceError(
            _("The code is not correct. Check the app and the clock of your phone."),
            code="two_factor.wrong_code",
            field="token",
        )
    with transaction.atomic():
        _devices_destroy(TOTPDevice.objects.filter(user=device.user, confirmed=True))
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        device.confirmed = True
        codes = _backup_codes_replace(device.user)
        audit_record(actor=actor, action="two_factor_enrol", object_type="staff", object_ids=[device.user_id])
    return codes


def totp_verify(*, device: TOTPDevice, token: str) -> bool:
    """A code of the device's app, each good once: a code already accepted (or an older one) is
    refused, also when two requests race with it (the device row is locked)."""
    token = token.strip().replace(" ", "")
    if len(token) != DIGITS or not token.isdigit():
        return False
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            return False
        totp = _totp(device)
        if totp.verify(int(token), TOLERANCE, device.last_t + 1):
            device.last_t = totp.t()
            device.last_used_at = timezone.now()
            device.throttle_reset(commit=False)
            device.save(update_fields=["last_t", "last_used_at", *_THROTTLE_FIELDS])
            return True
        device.throttle_increment(commit=False)
        device.save(update_fields=_THROTTLE_FIELDS)
        return False


_THROTTLE_FIELDS = ["throttling_failure_timestamp", "throttling_failure_count"]


def two_factor_verify(*, actor: Actor, user, token: str) -> TOTPDevice | None:
    """The member's device when `token` is a current code of their app or one of their unused
    backup codes (which is then used up); None otherwise. Audited either way."""
    device = confirmed_device(user)
    if device is None:
        return None
    normalized = _normalize_backup(token)
    if len(normalized) == _BACKUP_LENGTH:
        ok, method = _backup_code_use(user, normalized), "backup_code"
    else:
        ok, method = totp_verify(device=device, token=token), "totp"
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="two_factor_verify" if ok else "two_factor_failed",
            object_type="staff",
            object_ids=[user.pk],
            detail={"method": method},
        )
    return device if ok else None


def backup_codes_left(user) -> int:
    return BackupCode.objects.filter(user=user, used_at__isnull=True).count()


def backup_codes_regenerate(*, actor: Actor, user) -> list[str]:
    """New backup codes (the old ones stop working); returned once, never stored in clear."""
    if confirmed_device(user) is None:
        raise ServiceError(_("Set up the authenticator app first."), code="two_factor.not_set_up")
    with transaction.atomic():
        codes = _backup_codes_replace(user)
        audit_record(actor=actor, action="backup_codes_new", object_type="staff", object_ids=[user.pk])
    return codes


def two_factor_reset(*, actor: Actor, user) -> None:
    """Remove a member's authenticator and backup codes (a lost phone). The member sets up a new
    one at their next login, where it is required; their sessions end."""
    if actor.user is not None and actor.user.pk == user.pk:
        raise ServiceError(
            _("Ask the privacy officer or an administrator to reset your second factor."),
            code="two_factor.reset_by_officer",
        )
    from rekisteri.accounts.services import sessions_end

    with transaction.atomic():
        _devices_destroy(TOTPDevice.objects.filter(user=user))
        BackupCode.objects.filter(user=user).delete()
        audit_record(actor=actor, action="two_factor_reset", object_type="staff", object_ids=[user.pk])
        sessions_end(actor=actor, user=user, reason="two_factor_reset")


def _devices_destroy(devices) -> None:
    # The secret goes with its key; the row after it.
    for device_id in list(devices.values_list("pk", flat=True)):
        key_destroy(person_id=device_id, reason="two_factor_device")
        TOTPDevice.objects.filter(pk=device_id).delete()


def _hash_code(user_id, code: str) -> str:
    # Keyed (SECRET_KEY) and bound to the member: a copy of the table alone tells nothing.
    message = f"backup|{user_id}|{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _normalize_backup(token: str) -> str:
    return "".join(ch for ch in token.lower() if ch.isalnum())


def _backup_codes_replace(user) -> list[str]:
    BackupCode.objects.filter(user=user).delete()
    codes = [
        "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(_BACKUP_LENGTH)) for _ in range(BACKUP_CODES)
    ]
    BackupCode.objects.bulk_create(
        [BackupCode(user=user, code_hash=_hash_code(user.pk, code)) for code in codes]
    )
    return ["-".join(code[i : i + 4] for i in range(0, _BACKUP_LENGTH, 4)) for code in codes]


def _backup_code_use(user, code: str) -> bool:
    # The update is the check: of two requests racing with one code, one updates the row.
    used = BackupCode.objects.filter(
        user=user, code_hash=_hash_code(user.pk, code), used_at__isnull=True
    ).update(used_at=timezone.now())
    return used == 1
