"""Queueing and delivering mail.

`mail_enqueue` writes a mail into the outbox inside the caller's transaction: the decision
and the mail that reports it are committed together or not at all, and no request ever
waits for a mail server. `outbox_deliver` (run by `rekisteri worker`) claims the mails that
are due, sends them over one SMTP connection and records each result; a server that is
down or answers 4xx gets the mail again later (RETRY_DELAYS), until MAIL_GIVE_UP_HOURS have
passed; a permanent refusal (5xx) fails at once. Failures are reported to the privacy
officer once per mail.
"""

from __future__ import annotations

import base64
import json
import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.audit.purposes import purpose_check
from rekisteri.audit.services import audit_record
from rekisteri.errors import ServiceError
from rekisteri.keystore.services import KeyDestroyed, create_keys, key_destroy
from rekisteri.lib.ids import uuid7
from rekisteri.lib.normalize import NormalizationError, normalize_email
from rekisteri.outbox.models import PENDING_STATES, Delivery, MailAttachment, MailState, OutgoingMail

logger = logging.getLogger("rekisteri.outbox")

# The waits after the 1st, 2nd, ... failed attempt; the last one repeats until the mail is
# given up. The first retry comes within a minute: a server restarting is back by then.
RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
)
# A claimed mail belongs to its worker this long; a worker killed meanwhile leaves it to the
# next one. Longer than any SMTP exchange (EMAIL_TIMEOUT) by far.
LEASE = timedelta(minutes=5)
ALERT_KIND = "delivery_failed_alert"
OBJECT_TYPE = "mail"


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0

    def __bool__(self) -> bool:
        return self.claimed > 0


class MailNotResendable(ValidationError):
    pass


def _content_gone() -> ServiceError:
    return ServiceError(
        _("The mail's content no longer exists: it cannot be sent again."), code="mail.content_gone"
    )


@dataclass(frozen=True)
class Attachment:
    """A file to send with a mail."""

    filename: str
    content: bytes
    content_type: str


# Mail servers commonly refuse messages over 10-25 MB; base64 adds a third.
ATTACHMENTS_MAX_BYTES = 7 * 1024 * 1024


# --- Queueing -----------------------------------------------------------------------------

# Art. 14(3)(b): a mail to a person of the register is a communication with them, before which
# they must have been told where their data came from. The notice app above this one installs
# the check when ready (rekisteri.notice.first_communication); it runs in the caller's
# transaction before the mail is written, so what it queues goes first.
_before_person_mail: list = [lambda **kwargs: None]


def before_person_mail_install(hook) -> None:
    _before_person_mail[0] = hook


def render_mail(template: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """(subject, text, html) from the templates <template>_subject.txt, _body.txt, _body.html."""
    language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        text = render_to_string(f"{template}_body.txt", context)
        html = render_to_string(f"{template}_body.html", context)
        # Every mail links to the privacy notice in its own language (the notice, section 12).
        footer = {"notice_url": notice_url(language)}
        text = text.rstrip("\n") + "\n\n" + render_to_string("outbox/mail/_footer.txt", footer)
        footer_html = render_to_string("outbox/mail/_footer.html", footer)
        at = html.rfind("</body>")
        html = html[:at] + footer_html + html[at:] if at >= 0 else html + footer_html
    return subject, text, html


def notice_url(language: str) -> str:
    """The public privacy notice in `language` (Finnish at /tietosuojaseloste/)."""
    try:
        path = reverse("notice_en" if language == "en" else "notice")
    except NoReverseMatch:  # a URL configuration without the public pages (some tests)
        path = "/en/privacy-notice/" if language == "en" else "/tietosuojaseloste/"
    return f"{settings.PUBLIC_BASE_URL}{path}"


def mail_enqueue(
    *,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    kind: str,
    language: str = "fi",
    purpose: str = "",
    about: tuple[str, Any] | None = None,
    person_id: Any = None,
    headers: dict[str, str] | None = None,
    created_by: Any = None,
    destroy_after_sending: bool = False,
    attachments: Sequence[Attachment] = (),
    staff_only: bool = False,
) -> OutgoingMail:
    """Put one mail into the outbox, in the caller's transaction; the worker sends it.

    `destroy_after_sending`: its content goes as soon as it is delivered or given up (the
    confirmation of an erasure). `attachments` are kept under the mail's own key like its
    body. Raises ValidationError for an address that cannot receive mail or attachments too
    large to send, PurposeNotConfigured for a purpose outside the register's configuration
    (section 10). `staff_only`: a mail to staff (alerts, tests), no communication with a person
    of the register.
    """
    purpose_check(purpose)
    try:
        address = normalize_email(to)
    except NormalizationError:
        raise ServiceError(
            _("The recipient's e-mail address is not valid."), code="mail.recipient_invalid", field="email"
        ) from None
    if sum(len(attachment.content) for attachment in attachments) > ATTACHMENTS_MAX_BYTES:
        raise ServiceError(
            _("The attachments exceed %(megabytes)s MB."),
            code="mail.attachments_too_large",
            params={"megabytes": ATTACHMENTS_MAX_BYTES // (1024 * 1024)},
            field="attachments",
        )
    about_type, about_id = about if about is not None else ("", "")
    if not staff_only:
        _before_person_mail[0](person_id=person_id, to=address, kind=kind, created_by=created_by)
    # The mail's own data key, by name, before the row whose values it encrypts.
    mail_id = uuid7()
    create_keys([mail_id])
    mail = OutgoingMail(
        id=mail_id,
        kind=kind[:64],
        language=language[:5],
        purpose=purpose,
        about_type=about_type,
        about_id=str(about_id) if about_id else "",
        person_id=person_id,
        to_address=address,
        subject=subject[:998],
        body_text=text,
        body_html=html,
        headers=json.dumps(headers, ensure_ascii=False) if headers else "",
        created_by=created_by,
        destroy_after_sending=destroy_after_sending,
        has_attachments=bool(attachments),
    )
    mail.save(force_insert=True)
    _attachments_save(mail, attachments)
    return mail


def _attachments_save(mail: OutgoingMail, attachments: Sequence[Attachment]) -> None:
    for position, attachment in enumerate(attachments):
        MailAttachment(
            mail=mail,
            position=position,
            filename=attachment.filename[:200],
            content_type=attachment.content_type[:100],
            content=base64.b64encode(attachment.content).decode("ascii"),
            size=len(attachment.content),
        ).save(force_insert=True)


def mail_attachments(mail: OutgoingMail) -> list[Attachment]:
    """The mail's files, decrypted (raises KeyDestroyed when its content is gone)."""
    return [
        Attachment(
            filename=row.filename,
            content=base64.b64decode(row.content),
            content_type=row.content_type,
        )
        for row in MailAttachment.objects.filter(mail_id=mail.pk).order_by("position")
    ]


def mail_resend(*, actor: Actor, mail: OutgoingMail) -> OutgoingMail:
    """Queue a copy of a mail (a failed one, or one the recipient did not get); audited."""
    if mail.is_pending:
        raise MailNotResendable(
            {"mail": ServiceError(_("The mail is still waiting to be sent."), code="mail.pending")}
        )
    if mail.content_destroyed_at is not None or mail.state == MailState.CANCELLED:
        raise MailNotResendable({"mail": _content_gone()})
    try:
        copy_id = uuid7()
        copy = OutgoingMail(
            id=copy_id,
            kind=mail.kind,
            language=mail.language,
            purpose=mail.purpose,
            about_type=mail.about_type,
            about_id=mail.about_id,
            person_id=mail.person_id,
            to_address=mail.to_address,
            subject=mail.subject,
            body_text=mail.body_text,
            body_html=mail.body_html,
            headers=mail.headers,
            resend_of=mail,
            created_by=actor.user,
            destroy_after_sending=mail.destroy_after_sending,
            has_attachments=mail.has_attachments,
        )
        attachments = mail_attachments(mail) if mail.has_attachments else []
    except KeyDestroyed:
        raise MailNotResendable({"mail": _content_gone()}) from None
    create_keys([copy_id])
    with transaction.atomic():
        copy.save(force_insert=True)
        _attachments_save(copy, attachments)
        audit_record(
            actor=actor,
            action="resend",
            object_type=OBJECT_TYPE,
            object_ids=[copy.pk, mail.pk],
            person_ids=[mail.person_id] if mail.person_id else [],
            purpose=mail.purpose,
            detail={"kind": mail.kind, "about": mail.about_type},
        )
    return copy


# --- Delivery -------------------------------------------------------------------------------


def _claim(now: datetime, limit: int) -> list[OutgoingMail]:
    """Take up to `limit` due mails for this worker (a lease), oldest first.

    PostgreSQL: SKIP LOCKED lets several workers claim side by side. SQLite: the IMMEDIATE
    transaction holds the database's write lock, so one claim runs at a time.
    """
    due = OutgoingMail.objects.filter(state__in=PENDING_STATES, next_attempt_at__lte=now).exclude(
        state=MailState.SENDING, lease_until__gt=now
    )
    with transaction.atomic():
        if db_connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.order_by("next_attempt_at", "created_at").values_list("pk", flat=True)[:limit])
        OutgoingMail.objects.filter(pk__in=ids).update(state=MailState.SENDING, lease_until=now + LEASE)
    return list(OutgoingMail.objects.filter(pk__in=ids).order_by("next_attempt_at", "created_at"))


def message_domain() -> str:
    return urlsplit(settings.PUBLIC_BASE_URL).hostname or "rekisteri"


def email_message(mail: OutgoingMail, connection=None) -> EmailMultiAlternatives:
    """The mail as Django builds it (raises KeyDestroyed when its content is gone)."""
    headers = json.loads(mail.headers) if mail.headers else {}
    headers["Message-ID"] = f"<{mail.pk}@{message_domain()}>"
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.body_text,
        to=[mail.to_address],
        headers=headers,
        connection=connection,
    )
    if mail.body_html:
        message.attach_alternative(mail.body_html, "text/html")
    for attachment in mail_attachments(mail) if mail.has_attachments else ():
        message.attach(attachment.filename, attachment.content, attachment.content_type)
    return message


def _reply(exc: BaseException) -> tuple[int, str]:
    """The SMTP reply code (0 when the server gave none) and text of a failure."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()), (0, b""))
        return int(code), text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error
        return int(exc.smtp_code), text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return 0, f"{type(exc).__name__}: {exc}"


def _connection_lost(exc: BaseException) -> bool:
    """True when the server itself is unreachable or went away: no point trying the others now."""
    return isinstance(exc, OSError | smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError)


def retry_delay(attempts: int) -> timedelta:
    return RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]


def _mark_sent(mail: OutgoingMail, now: datetime, via: str) -> None:
    OutgoingMail.objects.filter(pk=mail.pk).update(
        state=MailState.SENT,
        attempts=mail.attempts + 1,
        last_attempt_at=now,
        sent_at=now,
        lease_until=None,
        delivered_via=via,
    )


def _mark_failed_attempt(mail: OutgoingMail, now: datetime, code: int, text: str, *, permanent: bool) -> str:
    """Record a failed attempt; the mail is retried later or, when permanent or too old, failed."""
    mail.attempts += 1
    mail.last_attempt_at = now
    mail.last_error_code = code
    mail.last_error = text[:2000]
    mail.lease_until = None
    give_up_at = mail.created_at + timedelta(hours=settings.MAIL_GIVE_UP_HOURS)
    next_attempt = now + retry_delay(mail.attempts)
    if permanent or next_attempt > give_up_at:
        mail.state = MailState.FAILED
        mail.failed_at = now
    else:
        mail.state = MailState.QUEUED
        mail.next_attempt_at = next_attempt
    fields = ["attempts", "last_attempt_at", "last_error_code", "last_error", "lease_until", "state"]
    try:
        mail.save(update_fields=[*fields, "failed_at", "next_attempt_at"])
    except KeyDestroyed:
        # Erased meanwhile: there is nobody to send it to any more.
        _cancel(mail, now)
        return MailState.CANCELLED
    return mail.state


def _cancel(mail: OutgoingMail, now: datetime) -> None:
    OutgoingMail.objects.filter(pk=mail.pk).update(
        state=MailState.CANCELLED, lease_until=None, content_destroyed_at=now
    )
    MailAttachment.objects.filter(mail_id=mail.pk).delete()


def outbox_deliver(*, now: datetime | None = None, limit: int = 100) -> DeliveryReport:
    """Send the mails that are due, over one connection; returns what happened.

    Never raises for a mail server's trouble: each mail records its own result.
    """
    now = now or timezone.now()
    report = DeliveryReport()
    mails = _claim(now, limit)
    report.claimed = len(mails)
    if not mails:
        return report
    via = Delivery.MAILBOX if settings.EMAIL_BACKEND == settings.MAIL_LOCAL_MAILBOX_BACKEND else Delivery.SMTP
    # Opened here, so send_messages keeps it open for every mail of the round.
    connection = get_connection(fail_silently=False)
    try:
        for index, mail in enumerate(mails):
            try:
                message = email_message(mail, connection)
            except KeyDestroyed:
                _cancel(mail, now)
                report.cancelled += 1
                continue
            try:
                connection.open()
                connection.send_messages([message])
            except (OSError, smtplib.SMTPException) as exc:
                code, text = _reply(exc)
                # The server is unreachable or went away: the rest of the round cannot go
                # either, and each mail's record says why.
                failing = mails[index:] if _connection_lost(exc) else [mail]
                for each in failing:
                    state = _mark_failed_attempt(each, now, code, text, permanent=500 <= code < 600)
                    if state == MailState.FAILED:
                        report.failed += 1
                    elif state == MailState.CANCELLED:
                        report.cancelled += 1
                    else:
                        report.retrying += 1
                logger.warning(
                    "%d mail(s) not delivered this round: SMTP reply %s.", len(failing), code or "none"
                )
                if len(failing) > 1 or _connection_lost(exc):
                    break
            else:
                _mark_sent(mail, now, via)
                report.sent += 1
    finally:
        try:
            connection.close()
        except (OSError, smtplib.SMTPException):
            pass
    for mail in mails:
        if mail.destroy_after_sending:
            _destroy_if_done(mail.pk, now)
    if report.failed:
        failures_alert(now=now)
    return report


def privacy_officers_mail(*, template: str, context: dict[str, Any], kind: str, purpose: str) -> int:
    """Render `template` once, in the register's language, and queue one copy to each privacy
    officer's address (REKISTERI_PRIVACY_OFFICER_EMAILS); returns how many were queued (0 when
    no officer has an address). Call it in the transaction of what the mail reports, beside
    that decision's own audit event."""
    from rekisteri.accounts.selectors import privacy_officer_addresses

    recipients = privacy_officer_addresses()
    if not recipients:
        return 0
    language = settings.LANGUAGE_CODE
    subject, text, html = render_mail(template, context, language)
    for address in recipients:
        mail_enqueue(
            to=address,
            subject=subject,
            text=text,
            html=html,
            kind=kind,
            language=language,
            purpose=purpose,
            staff_only=True,
        )
    return len(recipients)


def failures_alert(*, now: datetime | None = None) -> int:
    """Tell the privacy officers of mails given up, once per mail; returns how many were reported.

    The alert names kinds, ids and what the mails were about, never addresses. An alert that
    itself fails is not alerted again (it shows in the outbox list).
    """
    now = now or timezone.now()
    with transaction.atomic():
        failed = list(
            OutgoingMail.objects.select_for_update()
            .filter(state=MailState.FAILED, alerted_at__isnull=True)
            .exclude(kind=ALERT_KIND)
            .order_by("failed_at")
        )
        if not failed:
            return 0
        items = [
            {
                "id": str(mail.pk),
                "kind": mail.kind,
                "about_type": mail.about_type,
                "about_id": mail.about_id,
                "code": mail.last_error_code,
                "created_at": mail.created_at,
            }
            for mail in failed
        ]
        context = {
            "mails": items,
            "hours": settings.MAIL_GIVE_UP_HOURS,
            "outbox_url": f"{settings.PUBLIC_BASE_URL}/mail/?state=failed",
        }
        recipients = privacy_officers_mail(
            template="outbox/mail/failed_alert",
            context=context,
            kind=ALERT_KIND,
            purpose="rights_and_obligations",
        )
        OutgoingMail.objects.filter(pk__in=[mail.pk for mail in failed]).update(alerted_at=now)
        audit_record(
            actor=Actor.system("task:outbox", origin="task"),
            action="delivery_failed",
            object_type=OBJECT_TYPE,
            object_ids=[mail.pk for mail in failed],
            person_ids=[mail.person_id for mail in failed if mail.person_id],
            purpose="rights_and_obligations",
            detail={"mails": len(failed), "recipients": recipients},
        )
    if not recipients:
        logger.error(
            "%d mail(s) could not be delivered and no privacy officer has an address "
            "(set REKISTERI_PRIVACY_OFFICER_EMAILS).",
            len(failed),
        )
    else:
        logger.error("%d mail(s) could not be delivered; the privacy officer was alerted.", len(failed))
    return len(failed)


# --- Retention of the content -------------------------------------------------------------


def outbox_content_expire(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Destroy the content of mails delivered, failed or cancelled more than MAIL_KEEP_DAYS ago.

    The mail's own key goes (so no copy anywhere stays readable) and its ciphertexts are
    cleared; the delivery record (kind, state, times, reply code) stays. Returns the count.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.MAIL_KEEP_DAYS)
    done = OutgoingMail.objects.filter(content_destroyed_at__isnull=True, created_at__lt=cutoff).exclude(
        state__in=PENDING_STATES
    )
    ids = list(done.order_by("created_at").values_list("pk", flat=True)[:limit])
    for mail_id in ids:
        content_destroy(mail_id=mail_id, reason="retention", now=now)
    return len(ids)


def _destroy_if_done(mail_id: Any, now: datetime) -> None:
    done = OutgoingMail.objects.filter(pk=mail_id, content_destroyed_at__isnull=True).exclude(
        state__in=PENDING_STATES
    )
    if done.exists():
        content_destroy(mail_id=mail_id, reason="sent", now=now)


def content_destroy(*, mail_id: Any, reason: str, now: datetime | None = None) -> None:
    """Destroy one mail's key, then clear its ciphertexts (the key first: see privacy.erasure)."""
    now = now or timezone.now()
    key_destroy(person_id=mail_id, reason=reason)
    OutgoingMail.objects.filter(pk=mail_id).update(
        to_address=None,
        subject=None,
        body_text=None,
        body_html=None,
        headers=None,
        last_error=None,
        content_destroyed_at=now,
    )
    MailAttachment.objects.filter(mail_id=mail_id).delete()
    from rekisteri.outbox.backends import mailbox_remove

    mailbox_remove(mail_id)
