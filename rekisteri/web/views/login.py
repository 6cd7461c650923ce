"""The login page and the pages shown to a login that is locked out or slowed down, each
saying how the limits work."""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.shortcuts import render

from rekisteri.accounts.client import client_address
from rekisteri.accounts.sessions import session_start
from rekisteri.security.services.login_limits import (
    DEVICE_COOKIE,
    device_cookie_value,
    login_failure_record,
    login_gate,
)

LOCKED_OUT_TEMPLATE = "accounts/locked_out.html"
SLOWED_TEMPLATE = "accounts/login_slowed.html"


def lockout_terms() -> dict:
    """The throttling rules from the settings: failures allowed, and the pause in minutes (None: no end)."""
    cool_off = get_cool_off()
    return {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "lockout_minutes": max(1, round(cool_off.total_seconds() / 60)) if cool_off else None,
        "account_ceiling": settings.LOGIN_ACCOUNT_CEILING,
        "account_window_hours": settings.LOGIN_ACCOUNT_WINDOW_HOURS,
    }


class StaffLoginView(LoginView):
    # Django's login form; axes counts its failures per (account, client address), and
    # login_limits per account across addresses.
    template_name = "accounts/login.html"
    authentication_form = AuthenticationForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")[:150]
        self.gate = login_gate(username=username, device_cookie=request.COOKIES.get(DEVICE_COOKIE))
        # A pair axes has locked already is refused without a password check: no guess to count.
        self.pair_locked = AxesProxyHandler.is_locked(request, {"username": username})
        if self.gate.wait_until is not None:
            # Refused before the password is looked at: waiting is the point.
            context = {**lockout_terms(), "wait_seconds": self.gate.wait_seconds}
            return render(request, SLOWED_TEMPLATE, context, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if not self.pair_locked and not self.gate.known_device:
            login_failure_record(
                username=self.request.POST.get("username", "")[:150], client=client_address(self.request)
            )
        return super().form_invalid(form)

    def form_valid(self, form):
        # Django's login() gives the session a new key (no fixation); its lifetimes start now.
        response = super().form_valid(form)
        session_start(self.request)
        response.set_cookie(
            DEVICE_COOKIE,
            device_cookie_value(self.request.COOKIES.get(DEVICE_COOKIE), form.get_user().get_username()),
            max_age=settings.LOGIN_DEVICE_DAYS * 86400,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **lockout_terms()}


def locked_out(request, original_response=None, credentials=None):
    """axes' lockout response (AXES_LOCKOUT_CALLABLE): the page, with how long the pause lasts."""
    return render(request, LOCKED_OUT_TEMPLATE, lockout_terms(), status=settings.AXES_HTTP_RESPONSE_CODE)
