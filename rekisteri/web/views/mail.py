"""The outbox for the privacy officer: every mail, where it stands, and resending.

With no mail server configured (the embedded default) mail is delivered to the local
mailbox, and these pages are the "Sent mail" a newcomer reads the portal's links from.
"""

from __future__ import annotations

import email
import email.policy
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from rekisteri.keystore.services import KeyDestroyed
from rekisteri.outbox.backends import mailbox_read
from rekisteri.outbox.models import MailState, OutgoingMail
from rekisteri.outbox.selectors import mail_get, mail_list, mail_values
from rekisteri.outbox.services import mail_resend
from rekisteri.web.views.common import PageInfo, page_number, ui_actor

VIEW = "outbox.view_outgoingmail"
RESEND = ("outbox.view_outgoingmail", "outbox.change_outgoingmail")
PAGE_SIZE = 25


def local_mailbox() -> bool:
    return settings.EMAIL_BACKEND == settings.MAIL_LOCAL_MAILBOX_BACKEND


@never_cache
@require_GET
@permission_required(VIEW, raise_exception=True)
def mail_index(request):
    state = request.GET.get("state", "")
    if state not in MailState.values:
        state = ""
    number = page_number(request)
    actor = ui_actor(request)
    page = mail_list(actor=actor, state=state or None, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    rows = [{"mail": mail, "values": mail_values(mail)} for mail in page.results]
    return render(
        request,
        "outbox/mail_list.html",
        {
            "rows": rows,
            "state": state,
            "states": MailState.choices,
            "page": PageInfo(number=number, per_page=PAGE_SIZE, total=page.total),
            "local_mailbox": local_mailbox(),
        },
    )


def _message_parts(mail: OutgoingMail) -> dict | None:
    """The message as the local mailbox holds it: headers and the text body."""
    try:
        raw = mailbox_read(mail.pk)
    except KeyDestroyed:
        return None
    if raw is None:
        return None
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    return {
        "from": str(message.get("From", "")),
        "to": str(message.get("To", "")),
        "date": str(message.get("Date", "")),
        "subject": str(message.get("Subject", "")),
        "text": body.get_content() if body is not None else "",
        "attachments": [part.get_filename() or "" for part in message.iter_attachments()],
    }


@never_cache
@require_GET
@permission_required(VIEW, raise_exception=True)
def mail_detail(request, mail_id: UUID):
    mail = mail_get(actor=ui_actor(request), mail_id=mail_id)
    if mail is None:
        raise Http404
    values = mail_values(mail)
    message = _message_parts(mail) if local_mailbox() and mail.state == MailState.SENT else None
    return render(
        request,
        "outbox/mail_detail.html",
        {
            "mail": mail,
            "values": values,
            "message": message,
            "local_mailbox": local_mailbox(),
            "can_resend": values is not None and not mail.is_pending and mail.state != MailState.CANCELLED,
        },
    )


@never_cache
@require_POST
@permission_required(RESEND, raise_exception=True)
def mail_resend_view(request, mail_id: UUID):
    mail = OutgoingMail.objects.filter(pk=mail_id).first()
    if mail is None:
        raise Http404
    try:
        copy = mail_resend(actor=ui_actor(request), mail=mail)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        target = mail
    else:
        messages.success(request, _("The mail was queued again; it goes out within a minute."))
        target = copy
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("web:mail_detail", mail_id=target.pk)
