"""Mails of the request register (to requesters, to persons, the privacy officer's digest).

Each is rendered from rights/mail/<template>_{subject.txt,body.txt,body.html} in the
recipient's language and put into the outbox in the caller's transaction, beside the
decision it reports; `rekisteri worker` delivers it (rekisteri.outbox).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from rekisteri.outbox.models import OutgoingMail
from rekisteri.outbox.services import mail_enqueue, render_mail
from rekisteri.rights.authority import supervisory_authority
from rekisteri.rights.models import DataSubjectRequest

PURPOSE = "rights_and_obligations"
ABOUT_REQUEST = "rights_request"


def request_mails_follow(request: DataSubjectRequest) -> None:
    """The request was linked to a person after its first mails (a portal request whose
    address is matched at fulfilment): they name the person too, so erasure finds them."""
    OutgoingMail.objects.filter(about_type=ABOUT_REQUEST, about_id=str(request.pk)).update(
        person_id=request.person_id
    )


def queue_templated_mail(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str = "fi",
    request: DataSubjectRequest | None = None,
    person_id: Any = None,
    created_by: Any = None,
    destroy_after_sending: bool = False,
) -> OutgoingMail:
    """Render a mail of the request register and queue it; returns the outbox row."""
    base = {"authority": supervisory_authority(), "public_url": settings.PUBLIC_BASE_URL, **context}
    subject, text, html = render_mail(f"rights/mail/{template}", base, language)
    if request is not None and person_id is None:
        person_id = request.person_id
    return mail_enqueue(
        to=to,
        subject=subject,
        text=text,
        html=html,
        kind=template,
        language=language,
        purpose=PURPOSE,
        about=(ABOUT_REQUEST, request.pk) if request is not None else None,
        person_id=person_id,
        created_by=created_by,
        destroy_after_sending=destroy_after_sending,
    )
