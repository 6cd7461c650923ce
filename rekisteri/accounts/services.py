"""Staff accounts, role groups and API tokens."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.accounts.models import ApiToken, Role, StaffProfile
from rekisteri.accounts.roles import ROLE_PERMISSIONS, group_name
from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.db.compiled_query import CompiledQuery
from rekisteri.errors import ServiceError

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
        raise ServiceError(
            _("Unknown role %(role)s; choose one of %(choices)s."),
            code="staff.role_unknown",
            params={"role": repr(role), "choices": ", ".join(Role.values)},
        )
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise ServiceError(
            _("A user named %(username)s already exists."),
            code="staff.username_taken",
            params={"username": repr(username)},
        )
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
        raise ServiceError(_("Unknown role %(role)s."), code="staff.role", params={"role": repr(role)})
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


# Letters and digits that cannot be mistaken for one another when read aloud or copied.
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _temporary_password(user) -> str:
    """Four groups of four (about 90 bits), which also pass the password validators."""
    while True:
        groups = ("".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(4)) for _ in range(4))
        password = "-".join(groups)
        try:
            validate_password(password, user)
        except ValidationError:
            continue  # e.g. too like the username: draw again
        return password


def staff_password_change(*, actor: Actor, user, password: str, keep_session_key: str | None = None) -> None:
    """A staff member sets their own password (checked against the validators).

    Clears the duty to change a temporary password. Every session of theirs ends on the server
    but `keep_session_key`, the one they changed it in (the caller then calls
    update_session_auth_hash).
    """
    validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        StaffProfile.objects.filter(user=user).update(must_change_password=False, updated_at=timezone.now())
        audit_record(actor=actor, action="password_change", object_type="staff", object_ids=[user.pk])
        sessions_end(actor=actor, user=user, reason="password_change", keep_session_key=keep_session_key)


def staff_password_reset(*, actor: Actor, user) -> str:
    """Give another staff member a temporary password; returns it, to be shown once.

    The member must choose their own password at their next login. Their sessions end (the
    password hash changed) and a login lockout of their account is lifted, so the temporary
    password works at once. The temporary password is stored only as its hash.
    """
    if actor.user is not None and actor.user.pk == user.pk:
        raise ServiceError(_("Change your own password on the password page."), code="staff.own_password")
    if not StaffProfile.objects.filter(user=user).exists():
        raise ServiceError(_("Only a staff member's password can be reset here."), code="staff.not_staff")
    if not user.is_active:
        raise ServiceError(_("The account is not active."), code="staff.inactive")
    password = _temporary_password(user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        StaffProfile.objects.filter(user=user).update(must_change_password=True, updated_at=timezone.now())
        audit_record(actor=actor, action="password_reset", object_type="staff", object_ids=[user.pk])
        sessions_end(actor=actor, user=user, reason="password_reset")
    from axes.utils import reset as axes_reset

    axes_reset(username=user.get_username())
    return password


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


# Every API request runs these; written once: compiling them per request cost more than
# running them (benchmarks/README.md, the single-write path).
_ACTIVE_TOKEN = CompiledQuery(
    lambda hashes: ApiToken.objects.select_related("user", "user__staff_profile").filter(
        key_hash=hashes[0], revoked_at__isnull=True
    ),
    field=ApiToken._meta.get_field("key_hash"),
    samples=lambda count: [f"compiled-query-sample-{number}" for number in range(1, count + 1)],
)


@functools.cache
def _permissions_sql() -> str:
    """The user's own permissions and those of their groups (the role's), as ModelBackend
    reads them in two ORM queries, written once: (app label, codename) rows, no instances
    (sixty of each per request for a salesperson)."""
    user_model = get_user_model()
    groups = user_model._meta.get_field("groups").remote_field.through._meta.db_table
    own = user_model._meta.get_field("user_permissions").remote_field.through._meta.db_table
    group_permissions = Group._meta.get_field("permissions").remote_field.through._meta.db_table
    permissions, content_types = Permission._meta.db_table, ContentType._meta.db_table
    return (
        f"SELECT ct.app_label, p.codename FROM {permissions} p JOIN {content_types} ct "
        "ON ct.id = p.content_type_id WHERE p.id IN ("
        f"SELECT gp.permission_id FROM {group_permissions} gp JOIN {groups} ug ON ug.group_id = gp.group_id "
        f"WHERE ug.user_id = %s) OR p.id IN (SELECT permission_id FROM {own} WHERE user_id = %s)"
    )


def token_authenticate(raw: str) -> ApiToken | None:
    """The active token for a raw bearer value, or None. Constant-time by hash lookup."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    found = _ACTIVE_TOKEN.run([_hash_token(raw)])
    token = found[0] if found else None
    if token is None:
        return None
    # Touch at most once a minute: a write per request would serialise all API reads.
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def permissions_preload(user) -> None:
    """Fill Django's per-request cache of `user`'s permissions (ModelBackend's _perm_cache)
    with one written statement, so has_perm() asks the database nothing more. An active
    superuser's has_perm() never reads it; an inactive user holds none."""
    if user.is_superuser or not user.is_active:
        return
    with connection.cursor() as cursor:
        cursor.execute(_permissions_sql(), [user.pk, user.pk])
        user._perm_cache = {f"{app_label}.{codename}" for app_label, codename in cursor.fetchall()}


# --- Sessions (section 11; ASVS 5.0 V7) ----------------------------------------------------------


def sessions_end(*, actor: Actor, user, reason: str, keep_session_key: str | None = None) -> int:
    """End every session of `user` on the server (their rows are deleted), except the one kept
    (the member's own, after changing their password). Returns how many ended.

    Sessions are found by decoding the live ones: a staff register has few, and no table has
    to follow every change of a session's key.
    """
    from django.contrib.sessions.models import Session

    ended = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.session_key != keep_session_key
        and str(session.get_decoded().get("_auth_user_id", "")) == str(user.pk)
    ]
    with transaction.atomic():
        Session.objects.filter(session_key__in=ended).delete()
        audit_record(
            actor=actor,
            action="sessions_end",
            object_type="staff",
            object_ids=[user.pk],
            detail={"sessions": len(ended), "reason": reason},
        )
    return len(ended)


def staff_deactivate(*, actor: Actor, user) -> None:
    """Take away a member's access: the account can no longer log in, every session of theirs
    ends now, and their API tokens are revoked."""
    if actor.user is not None and actor.user.pk == user.pk:
        raise ServiceError(_("You cannot deactivate your own account."), code="staff.deactivate_self")
    with transaction.atomic():
        type(user).objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit_record(actor=actor, action="deactivate", object_type="staff", object_ids=[user.pk])
        sessions_end(actor=actor, user=user, reason="deactivated")
