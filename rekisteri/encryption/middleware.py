"""Turn a ciphertext that fails authentication into an audit event and a clear error page."""

from __future__ import annotations

import logging

from django.shortcuts import render

from rekisteri.audit.actor import Actor
from rekisteri.encryption.services import tampering_report
from rekisteri.keystore.services import KeyDestroyed
from rekisteri.lib.crypto import TamperedCiphertext

logger = logging.getLogger("rekisteri.encryption")


def request_actor(request, origin="ui") -> Actor:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Actor.for_user(user, origin)
    return Actor.system("anonymous", origin=origin)


class TamperReportMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, TamperedCiphertext):
            # The message holds table, column and row id only, never a value.
            logger.error("Tampering detected: %s", exception)
            tampering_report(actor=request_actor(request), exc=exception)
            return render(request, "encryption/tampered.html", {"error": exception}, status=500)
        if isinstance(exception, KeyDestroyed):
            return render(request, "encryption/erased.html", status=410)
        return None
