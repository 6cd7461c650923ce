"""Session lifetimes (section 11; ASVS 5.0 V7.3): a session ends after REKISTERI_SESSION_IDLE_MINUTES
without a request and REKISTERI_SESSION_SECONDS after login, whatever its activity."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.utils.translation import gettext as _

STARTED = "rekisteri_started"
SEEN = "rekisteri_seen"
# Noting every request would write the session each time; a minute's precision is enough.
_SEEN_PRECISION = 60


def session_start(request) -> None:
    """Mark the session's login time (called by the login view, right after Django's login)."""
    now = int(time.time())
    request.session[STARTED] = now
    request.session[SEEN] = now


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            started = request.session.setdefault(STARTED, now)
            seen = request.session.get(SEEN, now)
            idle = now - seen > settings.SESSION_IDLE_SECONDS
            if idle or now - started > settings.SESSION_COOKIE_AGE:
                # logout() flushes the session: its row is deleted on the server.
                logout(request)
                messages.info(
                    request,
                    _("You were logged out after %(minutes)s minutes without activity.")
                    % {"minutes": settings.SESSION_IDLE_SECONDS // 60}
                    if idle
                    else _("Your session reached its longest lifetime. Log in again."),
                )
                if request.path_info.startswith("/api/"):
                    return self.get_response(request)
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if now - seen >= _SEEN_PRECISION:
                request.session[SEEN] = now
        return self.get_response(request)
