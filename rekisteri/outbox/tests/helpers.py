"""For tests that look at the mail a decision sends: deliver the outbox as the worker would."""

from __future__ import annotations

from django.core import mail

from rekisteri.outbox.services import outbox_deliver


def deliver_outbox() -> list:
    """Deliver every mail that is due now; returns everything sent in this test so far."""
    while outbox_deliver().claimed:
        pass
    return mail.outbox
