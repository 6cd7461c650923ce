"""Staff accounts, role groups and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from rekisteri.accounts.models import ApiToken, Role, StaffProfile
from rekisteri.accounts.roles import ROLE_PERMISSIONS, group_name
from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record

TOKEN_PREFIX = "rk_"


def roles_sync(*, using: str = "default") -> None:
    """Make each role group hold exactly the permissions of ROLE_PERMISSIONS."""
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=group_name(role))
        permissions = []
        for full in codenames:
            app_label, codename = full.split(".", 1)
            permission = (
                Permission.objects.using(using)
                .filter(content_type__app_label=app_label, codename=codename)
                .first()
            )
            if permission is None:
                raise LookupError(f"role {role} names unknown permission {full}")
            permissions.append(permission)
        group.permissions.set(permissions)


def staff_create(
    *,
    actor: Actor,
    username: str,
    role: str,
    password: str,
    nda_signed_on: date | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> StaffProfile:
    """Create a staff member in one role. The password is checked against the validators."""
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.")
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise ValidationError(f"A user named {username!r} already exists.")
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save()
        user.groups.set([Group.objects.get(name=group_name(role))])
        profile = StaffProfile.objects.create(user=user, role=role, nda_signed_on=nda_signed_on)
        audit_record(
            actor=actor,
            action="create",
            object_type="staff",
            object_ids=[user.pk],
            detail={"role": role, "nda": nda_signed_on is not None},
        )
    return profile


def staff_set_role(*, actor: Actor, user, role: str) -> None:
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}.")
    with transaction.atomic():
        StaffProfile.objects.update_or_create(user=user, defaults={"role": role})
        user.groups.set([Group.objects.get(name=group_name(role))])
        audit_record(
            actor=actor,
            action="change",
            object_type="staff",
            object_ids=[user.pk],
            detail={"fields": ["role"], "role": role},
        )


def staff_record_nda(*, actor: Actor, user, signed_on: date | None) -> None:
    with transaction.atomic():
        StaffProfile.objects.filter(user=user).update(nda_signed_on=signed_on, updated_at=timezone.now())
        audit_record(
            actor=actor,
            action="change",
            object_type="staff",
            object_ids=[user.pk],
            detail={"fields": ["nda_signed_on"]},
        )


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def token_create(*, actor: Actor, user, name: str = "") -> tuple[ApiToken, str]:
    """Create a token; the raw secret is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, prefix=raw[:10], key_hash=_hash_token(raw))
        audit_record(
            actor=actor,
            action="create",
            object_type="api_token",
            object_ids=[token.pk],
            detail={"user_id": user.pk},
        )
    return token, raw


def token_revoke(*, actor: Actor, token: ApiToken) -> None:
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit_record(actor=actor, action="delete", object_type="api_token", object_ids=[token.pk])


def token_authenticate(raw: str) -> ApiToken | None:
    """The active token for a raw bearer value, or None. Constant-time by hash lookup."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user", "user__staff_profile")
        .filter(key_hash=_hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    # Touch at most once a minute: a write per request would serialise all API reads.
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
