"""A per-account ceiling on password guesses from any number of addresses.

axes locks an (account, address) pair after a few failures; an attacker with many addresses
is not slowed by that. Here every account has a ceiling of failures within a window, counted
across all addresses; past it, each further attempt must wait a delay that doubles with every
failure (up to a maximum), and the attempt is refused unchecked until then. It is no lockout
the attacker can turn against the owner: a browser that has logged in to the account before
carries a signed device cookie and is not slowed (OWASP's "device cookies"), and the delay
ends by itself. The privacy officer is told once per window (through the outbox).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.utils import timezone

from rekisteri.accounts.selectors import privacy_officer_addresses
from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.outbox.services import mail_enqueue, render_mail
from rekisteri.security.models import LoginAlert, LoginFailure

DEVICE_COOKIE = "rekisteri_device"
_DEVICE_SALT = "rekisteri.security.device"
# A browser remembers at most this many accounts it logged in to.
_DEVICE_ACCOUNTS = 5
ALERT_KIND = "login_alert"


def _key(kind: str, value: str) -> str:
    # Keyed by SECRET_KEY, so the table holds neither user names nor addresses.
    return hmac.new(settings.SECRET_KEY.encode(), f"{kind}|{value}".encode(), hashlib.sha256).hexdigest()


def account_key(username: str) -> str:
    return _key("login-account", username)


@dataclass(frozen=True)
class LoginGate:
    # None: the attempt may go ahead; otherwise when the account may next be tried from here.
    wait_until: datetime | None = None
    # The browser has logged in to this account before: the ceiling does not apply to it.
    known_device: bool = False

    @property
    def wait_seconds(self) -> int:
        if self.wait_until is None:
            return 0
        return max(1, int((self.wait_until - timezone.now()).total_seconds() + 0.999))


def device_accounts(cookie: str | None) -> list[str]:
    """The account keys a device cookie vouches for (a bad or old cookie vouches for none)."""
    if not cookie:
        return []
    try:
        value = signing.loads(cookie, salt=_DEVICE_SALT, max_age=timedelta(days=settings.LOGIN_DEVICE_DAYS))
    except signing.BadSignature:
        return []
    return [key for key in value if isinstance(key, str)] if isinstance(value, list) else []


def device_cookie_value(cookie: str | None, username: str) -> str:
    """The device cookie after a successful login to `username` from this browser."""
    key = account_key(username)
    keys = [key] + [other for other in device_accounts(cookie) if other != key]
    return signing.dumps(keys[:_DEVICE_ACCOUNTS], salt=_DEVICE_SALT)


def delay_after(failures: int) -> timedelta:
    """How long an account waits after its `failures`-th failure in the window (0 below the ceiling)."""
    over = failures - settings.LOGIN_ACCOUNT_CEILING
    if over < 0:
        return timedelta(0)
    maximum = settings.LOGIN_ACCOUNT_MAX_DELAY_SECONDS
    return timedelta(seconds=min(maximum, 2 ** min(over, 30)))


def _window_start(now: datetime) -> datetime:
    return now - timedelta(hours=settings.LOGIN_ACCOUNT_WINDOW_HOURS)


def login_gate(*, username: str, device_cookie: str | None, now: datetime | None = None) -> LoginGate:
    """May a password for `username` be checked now, from this browser?"""
    now = now or timezone.now()
    key = account_key(username)
    if key in device_accounts(device_cookie):
        return LoginGate(known_device=True)
    failures = LoginFailure.objects.filter(account_key=key, at__gte=_window_start(now))
    count = failures.count()
    if count < settings.LOGIN_ACCOUNT_CEILING:
        return LoginGate()
    last = failures.order_by("-at").values_list("at", flat=True).first()
    wait_until = last + delay_after(count)
    return LoginGate(wait_until=wait_until if wait_until > now else None)


def login_failure_record(*, username: str, client: str, now: datetime | None = None) -> None:
    """Count a wrong password for `username` from `client` (an address) and, on reaching the
    ceiling, alert the privacy officer (once per window) and write an audit event."""
    now = now or timezone.now()
    key = account_key(username)
    since = _window_start(now)
    with transaction.atomic():
        LoginFailure.objects.create(account_key=key, address_key=_key("login-address", client), at=now)
        # Old failures are no longer counted: drop them as we go (no separate clean-up job).
        LoginFailure.objects.filter(account_key=key, at__lt=since).delete()
        failures = LoginFailure.objects.filter(account_key=key, at__gte=since)
        count = failures.count()
        if count < settings.LOGIN_ACCOUNT_CEILING:
            return
        if LoginAlert.objects.filter(account_key=key, at__gte=since).exists():
            return
        LoginAlert.objects.create(account_key=key, at=now)
        addresses = failures.values("address_key").distinct().count()
        _alert(username=username, failures=count, addresses=addresses, now=now)


def _alert(*, username: str, failures: int, addresses: int, now: datetime) -> None:
    user = get_user_model().objects.filter(username=username).first()
    context = {
        # A name that is no account may be a password typed into the wrong field: never sent.
        "username": user.get_username() if user is not None else None,
        "failures": failures,
        "addresses": addresses,
        "hours": settings.LOGIN_ACCOUNT_WINDOW_HOURS,
        "at": now,
        "staff_url": f"{settings.PUBLIC_BASE_URL}/staff/",
    }
    subject, text, html = render_mail("security/mail/login_alert", context, settings.LANGUAGE_CODE)
    for address in privacy_officer_addresses():
        mail_enqueue(
            to=address,
            subject=subject,
            text=text,
            html=html,
            kind=ALERT_KIND,
            language=settings.LANGUAGE_CODE,
            purpose="rights_and_obligations",
            staff_only=True,
        )
    audit_record(
        actor=Actor.system("login", origin="system"),
        action="login_guessing",
        object_type="staff",
        object_ids=[user.pk] if user is not None else [],
        detail={"failures": failures, "addresses": addresses, "known_account": user is not None},
    )
