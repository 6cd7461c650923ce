"""After the password, the second factor: no staff page opens until it is given."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from django.shortcuts import redirect
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from rekisteri.security.models import TOTPDevice
from rekisteri.security.services.two_factor import confirmed_device, two_factor_required

# Pages that need no second factor: those that log in and out, the second factor's own,
# public pages, and the API (bearer tokens are a credential of their own).
OPEN_PREFIXES = (
    "/accounts/",
    "/static/",
    "/i18n/",
    "/api/",
    "/healthz",
    "/portal/",
)


def _install_verification(request, user) -> None:
    """user.otp_device: the device that verified this session (django-otp's login() names it
    in the session), only while it is the member's own and confirmed; else None."""
    device = None
    if user.is_authenticated:
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY, "")
        label, _, device_id = persistent_id.rpartition("/")
        if label == TOTPDevice.model_label():
            try:
                device = TOTPDevice.objects.filter(pk=UUID(device_id), user=user, confirmed=True).first()
            except ValueError:
                device = None
        if device is None and persistent_id:
            del request.session[DEVICE_ID_SESSION_KEY]
    user.otp_device = device
    user.is_verified = lambda: user.otp_device is not None


class TwoFactorMiddleware:
    """Sends a member who must give a second factor and has not yet, in this session, to the
    code page, or to set up an authenticator when they have none (their first login)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None:
            _install_verification(request, user)
        if request.path_info.startswith(OPEN_PREFIXES):
            return self.get_response(request)
        user = request.user
        if not user.is_authenticated or user.is_verified() or not two_factor_required(user):
            return self.get_response(request)
        page = "accounts:two_factor" if confirmed_device(user) is not None else "accounts:two_factor_setup"
        return redirect(f"{reverse(page)}?{urlencode({'next': request.get_full_path()})}")
