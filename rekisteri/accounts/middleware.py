"""Deny by default: every page except a short public list needs a gated staff login."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from rekisteri.accounts.access import personal_data_refusal

# Paths anyone may open. The API authenticates its own bearer tokens (api/auth.py); the
# data-subject portal (rights/portal.py) needs no login by design (section 8).
PUBLIC_PREFIXES = (
    "/accounts/login/",
    "/accounts/logout/",
    "/static/",
    "/i18n/",
    "/api/",
    "/healthz",
    "/portal/",
)


class PersonalDataGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith(PUBLIC_PREFIXES):
            return self.get_response(request)
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        reason = personal_data_refusal(user)
        if reason is not None:
            return render(request, "accounts/no_access.html", {"reason": reason}, status=403)
        return self.get_response(request)
