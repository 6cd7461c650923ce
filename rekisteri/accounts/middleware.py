"""Deny by default: every page except a short public list needs a gated staff login."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse

from rekisteri.accounts.access import INSTRUCTIONS_REFUSAL, personal_data_refusal

# Paths anyone may open. The API authenticates its own bearer tokens (api/auth.py); the
# data-subject portal (rekisteri/public) needs no login by design (section 8).
PUBLIC_PREFIXES = (
    "/accounts/login/",
    "/accounts/logout/",
    # The second factor's pages come before any gate; they need a login of their own.
    "/accounts/two-factor/",
    # The written instructions are read and acknowledged before the gate opens (section 11);
    # the page needs a login of its own and shows no personal data.
    "/instructions/",
    "/static/",
    "/i18n/",
    "/api/",
    "/healthz",
    "/portal/",
    "/tietosuojaseloste/",
    "/en/privacy-notice/",
    # Newsletter sign-up, confirmation, unsubscribe and preferences (no login by design).
    "/newsletter/",
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
        if reason == str(INSTRUCTIONS_REFUSAL):
            # Only the acknowledgement is missing: the instructions page takes it.
            return redirect(f"{reverse('web:instructions')}?{urlencode({'next': request.get_full_path()})}")
        if reason is not None:
            return render(request, "accounts/no_access.html", {"reason": reason}, status=403)
        # A temporary password (reset by the privacy officer or an administrator) is good for
        # one thing only: choosing one's own.
        if user.staff_profile.must_change_password:
            password_page = reverse("web:password_change")
            if path != password_page:
                return redirect(password_page)
        return self.get_response(request)
