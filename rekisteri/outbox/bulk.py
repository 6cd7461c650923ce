"""The outbox's bulk path: many mails queued at once, held until their sender delivers them
at its own pace over one SMTP connection (campaigns).

Held mails are ordinary outbox rows (encrypted under their own keys, listed in the outbox,
erased with their person) whose next attempt lies at HELD_UNTIL, so the worker's ordinary
round (services.outbox_deliver) leaves them alone: the sender claims them itself with
`outbox_deliver_held`, which can pause at any batch. A mail whose first attempt fails is
scheduled for retry like any other and the ordinary round takes it from there.

Each mail's "sent" mark is committed as soon as the server accepted it, before the next
mail goes: a worker killed (kill -9) in the middle leaves at most the mail whose reply it
was waiting for unmarked, and that one the server had not accepted yet.
"""

from __future__ import annotations

import base64
import json
import secrets
import smtplib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.db.bulk_insert import insert_rows, prepared_value
from rekisteri.encryption.fields import EncryptedTextField, attach_ciphers
from rekisteri.errors import ServiceError
from rekisteri.keystore.services import KeyDestroyed, ciphers_for, create_keys
from rekisteri.lib.ids import uuid7_many
from rekisteri.lib.normalize import NormalizationError, normalize_email
from rekisteri.outbox.models import PENDING_STATES, Delivery, MailState, OutgoingMail
from rekisteri.outbox.pipelining import sendmail as pipelined_sendmail
from rekisteri.outbox.services import (
    DeliveryReport,
    _cancel,
    _connection_lost,
    _mark_failed_attempt,
    _reply,
    email_message,
    message_domain,
)

# The next attempt of a held mail: never, until its sender claims it.
HELD_UNTIL = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class BulkMail:
    to: str
    subject: str
    text: str
    html: str = ""
    headers: dict[str, str] | None = None
    person_id: Any = None


@dataclass(frozen=True)
class HeldMail:
    """A mail just queued by mail_enqueue_held: its id, its normalised address and what it
    was made from, so its sender can send it without reading it back (HeldSender.deliver_held)."""

    id: Any
    to: str
    mail: BulkMail


def mail_enqueue_held(
    mails: Iterable[BulkMail],
    *,
    kind: str,
    about: tuple[str, Any],
    purpose: str,
    language: str = "fi",
    claimed_until: datetime | None = None,
) -> list[HeldMail]:
    """Queue many mails at once in the caller's transaction, held for their sender.

    One key-store write for all their keys and one insert; raises ValidationError for an
    address that cannot receive mail. With `claimed_until` the mails are stored already
    claimed by the caller until then, who sends them at once (HeldSender.deliver_held); a
    caller killed meanwhile leaves them to be claimed again when that time has passed, as
    mails claimed by `deliver_batch`.
    """
    mails = list(mails)
    ids = uuid7_many(len(mails))
    ciphers = create_keys(ids)
    common = {
        "kind": kind[:64],
        "language": language[:5],
        "purpose": purpose,
        "about_type": about[0],
        "about_id": str(about[1]),
        "next_attempt_at": HELD_UNTIL,
        "created_at": timezone.now(),
        "state": MailState.QUEUED if claimed_until is None else MailState.SENDING,
        "lease_until": claimed_until,
    }
    rows, held = [], []
    for mail_id, mail in zip(ids, mails, strict=True):
        try:
            address = normalize_email(mail.to)
        except NormalizationError:
            raise ServiceError(
                _("The recipient's e-mail address is not valid."),
                code="mail.recipient_invalid",
                field="email",
            ) from None
        rows.append(
            {
                "id": mail_id,
                "person_id": mail.person_id,
                "to_address": address,
                "subject": mail.subject[:998],
                "body_text": mail.text,
                "body_html": mail.html,
                "headers": json.dumps(mail.headers) if mail.headers else "",
            }
        )
        held.append(HeldMail(mail_id, address, mail))
    _insert(rows, ciphers, common)
    return held


def _insert(rows: list[dict], ciphers: dict, common: dict) -> None:
    """The rows below the ORM (rekisteri.db.bulk_insert): values encrypted as the fields
    would encrypt them, under each mail's own key. The values in `common` (and the defaults
    of fields given nowhere) are the same in every row: converted once for the batch."""
    connection = db_connection
    fields = [f for f in OutgoingMail._meta.concrete_fields]
    columns = [f.column for f in fields]
    prepare = prepared_value(connection)
    own = set().union(*rows) - set(common) if rows else set()
    fixed = {
        f.attname: prepare(f, common.get(f.attname))
        for f in fields
        if f.attname not in own and not isinstance(f, EncryptedTextField)
    }
    values = []
    for row in rows:
        mail_id = row["id"]
        cipher = ciphers[str(mail_id)]
        out = []
        for f in fields:
            name = f.attname
            if name in fixed:
                out.append(fixed[name])
            elif isinstance(f, EncryptedTextField):
                blob = f.encrypt_value(cipher, row.get(name), row_id=mail_id)
                out.append(bytearray(blob) if blob is not None else None)
            else:
                out.append(prepare(f, row.get(name)))
        values.append(out)
    insert_rows(connection, OutgoingMail, columns, values)


def held_cancel(*, about: tuple[str, Any]) -> int:
    """Cancel the held mails not yet attempted (a cancelled campaign); returns how many."""
    return OutgoingMail.objects.filter(
        about_type=about[0], about_id=str(about[1]), state=MailState.QUEUED, next_attempt_at=HELD_UNTIL
    ).update(state=MailState.CANCELLED)


def _claim_held(about: tuple[str, Any], now: datetime, limit: int, lease: timedelta) -> list[OutgoingMail]:
    held = OutgoingMail.objects.filter(
        about_type=about[0], about_id=str(about[1]), next_attempt_at=HELD_UNTIL
    )
    # Queued, or claimed by a worker whose lease ran out (killed in the middle).
    due = held.filter(state=MailState.QUEUED) | held.filter(state=MailState.SENDING, lease_until__lte=now)
    with transaction.atomic():
        if db_connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.order_by("created_at", "id").values_list("pk", flat=True)[:limit])
        OutgoingMail.objects.filter(pk__in=ids).update(state=MailState.SENDING, lease_until=now + lease)
    return list(OutgoingMail.objects.filter(pk__in=ids).order_by("created_at", "id"))


def _header(value: str) -> str:
    """A header value as RFC 2047 words when it is not plain ASCII."""
    if value.isascii():
        return value
    from email.header import Header

    return Header(value, "utf-8").encode(maxlinelen=76)


def _part(content_type: str, body: str) -> bytes:
    return (
        f"Content-Type: {content_type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n".encode()
        + base64.encodebytes(body.encode()).replace(b"\n", b"\r\n")
    )


def raw_message(
    mail: OutgoingMail, *, from_email: str, domain: str, subject_header: str | None = None
) -> bytes:
    """The mail as MIME bytes (see mime_bytes), from its row. Raises KeyDestroyed when its
    content is gone."""
    return mime_bytes(
        mail_id=mail.pk,
        to=mail.to_address,
        subject_header=subject_header or _header(mail.subject),
        headers=json.loads(mail.headers) if mail.headers else {},
        text=mail.body_text,
        html=mail.body_html,
        from_email=from_email,
        domain=domain,
    )


def mime_bytes(
    *,
    mail_id,
    to: str,
    subject_header: str,
    headers: dict[str, str],
    text: str,
    html: str,
    from_email: str,
    domain: str,
) -> bytes:
    """A mail as MIME bytes, built directly (Python's email generator costs about a
    millisecond a message; this a few microseconds): text and HTML parts in base64 under
    multipart/alternative, the mail's own headers (List-Unsubscribe) as given."""
    from email.utils import formatdate

    lines = [
        f"From: {from_email}",
        f"To: {to}",
        f"Subject: {subject_header}",
        f"Date: {formatdate(localtime=True)}",
        f"Message-ID: <{mail_id}@{domain}>",
        "MIME-Version: 1.0",
        *(f"{name}: {_header(value)}" for name, value in headers.items()),
    ]
    if not html:
        return ("\r\n".join(lines) + "\r\n").encode() + _part("text/plain", text)
    boundary = "=_rk_" + secrets.token_hex(12)
    lines.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
    return (
        ("\r\n".join(lines) + f"\r\n\r\n--{boundary}\r\n").encode()
        + _part("text/plain", text)
        + f"\r\n--{boundary}\r\n".encode()
        + _part("text/html", html)
        + f"\r\n--{boundary}--\r\n".encode()
    )


class RateLimiter:
    """At most `per_second` messages a second (0: no limit), smoothed over the run."""

    def __init__(self, per_second: int):
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.next_at = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self.next_at > now:
            time.sleep(self.next_at - now)
        self.next_at = max(self.next_at, now) + self.interval


class HeldSender:
    """Delivers held mails of one sender over one SMTP connection, reused across batches."""

    def __init__(self, *, about: tuple[str, Any], rate: int, lease: timedelta):
        self.about = about
        self.limiter = RateLimiter(rate)
        self.lease = lease
        self.connection = None
        self.from_email = settings.DEFAULT_FROM_EMAIL
        self.domain = message_domain()
        self.via = (
            Delivery.MAILBOX
            if settings.EMAIL_BACKEND == settings.MAIL_LOCAL_MAILBOX_BACKEND
            else Delivery.SMTP
        )

    def __enter__(self) -> HeldSender:
        self.connection = get_connection(fail_silently=False)
        self._durability(relaxed=True)
        return self

    @property
    def sends_directly(self) -> bool:
        """Whether mails go over SMTP as bytes built here (so `deliver_held` can send mails
        just queued without reading them back); other backends take them from their rows."""
        return isinstance(self.connection, SmtpBackend)

    def __exit__(self, *exc) -> None:
        self._durability(relaxed=False)
        try:
            self.connection.close()
        except (OSError, smtplib.SMTPException):
            pass

    def _mark_sent(self, mail_id, attempts: int) -> None:
        """The mail's "sent" mark, committed at once: one statement written out, as the ORM
        would spend longer building it than the database storing it."""
        connection = db_connection
        now = OutgoingMail._meta.get_field("sent_at").get_db_prep_save(timezone.now(), connection)
        pk = OutgoingMail._meta.pk.get_db_prep_value(mail_id, connection)
        with connection.cursor() as cursor:
            cursor.execute(self._sent_sql, [MailState.SENT, attempts + 1, now, now, self.via, pk])

    _sent_sql = (
        f"UPDATE {OutgoingMail._meta.db_table} SET state = %s, attempts = %s, last_attempt_at = %s, "
        "sent_at = %s, lease_until = NULL, delivered_via = %s WHERE id = %s"
    )

    @staticmethod
    def _durability(*, relaxed: bool) -> None:
        """The "sent" marks are committed one by one without waiting for the disk: a killed
        worker loses none of them (the operating system has them), only a power cut could
        lose the last moment's, whose messages would then go again. Waiting for the disk on
        every message would cap a campaign at the disk's flush rate. (Inside a transaction, as in
        tests, SQLite refuses the change and nothing is committed before the end anyway.)"""
        if db_connection.in_atomic_block:
            return
        with db_connection.cursor() as cursor:
            if db_connection.vendor == "sqlite":
                cursor.execute(f"PRAGMA synchronous={'NORMAL' if relaxed else 'FULL'}")
            elif db_connection.vendor == "postgresql":
                cursor.execute(f"SET synchronous_commit = {'off' if relaxed else 'on'}")

    def deliver_batch(
        self, *, limit: int = 200, keep_going: Callable[[], bool] = lambda: True
    ) -> DeliveryReport:
        """Claim up to `limit` held mails and send them; returns what happened.

        Each result is committed before the next mail goes (see the module's docstring).
        `keep_going` is asked between mails: a paused sender stops and its claimed mails
        go back to the queue.
        """
        now = timezone.now()
        report = DeliveryReport()
        mails = _claim_held(self.about, now, limit, self.lease)
        report.claimed = len(mails)
        # One key-store query for the batch, not one a mail.
        attach_ciphers(mails, ciphers_for([mail.pk for mail in mails]), "pk")
        fast = isinstance(self.connection, SmtpBackend)
        subjects: dict[str, str] = {}
        for index, mail in enumerate(mails):
            if not keep_going():
                OutgoingMail.objects.filter(pk__in=[m.pk for m in mails[index:]]).update(
                    state=MailState.QUEUED, lease_until=None
                )
                break
            try:
                if fast:
                    subject = mail.subject
                    if subject not in subjects:
                        subjects[subject] = _header(subject)
                    message = raw_message(
                        mail, from_email=self.from_email, domain=self.domain, subject_header=subjects[subject]
                    )
                else:
                    message = email_message(mail, self.connection)
            except KeyDestroyed:  # erased since it was queued
                _cancel(mail, now)
                report.cancelled += 1
                continue
            self.limiter.wait()
            try:
                self.connection.open()
                if fast:
                    pipelined_sendmail(self.connection.connection, self.from_email, mail.to_address, message)
                else:
                    self.connection.send_messages([message])
            except (OSError, smtplib.SMTPException) as exc:
                code, text = _reply(exc)
                failing = mails[index:] if _connection_lost(exc) else [mail]
                for each in failing:
                    state = _mark_failed_attempt(
                        each, timezone.now(), code, text, permanent=500 <= code < 600
                    )
                    report.failed += state == MailState.FAILED
                    report.retrying += state == MailState.QUEUED
                    report.cancelled += state == MailState.CANCELLED
                if len(failing) > 1:
                    break
            else:
                self._mark_sent(mail.pk, mail.attempts)
                report.sent += 1
        return report

    def deliver_held(
        self, held: list[HeldMail], *, keep_going: Callable[[], bool] = lambda: True
    ) -> DeliveryReport:
        """Send mails this sender has just queued, claimed (mail_enqueue_held with
        `claimed_until`), from what they were made of: nothing is read back or decrypted. Each
        "sent" mark is committed before the next mail goes, as in `deliver_batch`; a failed
        mail's row is read to record the failure. Needs `sends_directly`."""
        report = DeliveryReport(claimed=len(held))
        subjects: dict[str, str] = {}
        for index, item in enumerate(held):
            if not keep_going():
                OutgoingMail.objects.filter(pk__in=[h.id for h in held[index:]]).update(
                    state=MailState.QUEUED, lease_until=None
                )
                break
            mail = item.mail
            if mail.subject not in subjects:
                subjects[mail.subject] = _header(mail.subject[:998])
            message = mime_bytes(
                mail_id=item.id,
                to=item.to,
                subject_header=subjects[mail.subject],
                headers=mail.headers or {},
                text=mail.text,
                html=mail.html,
                from_email=self.from_email,
                domain=self.domain,
            )
            self.limiter.wait()
            try:
                self.connection.open()
                pipelined_sendmail(self.connection.connection, self.from_email, item.to, message)
            except (OSError, smtplib.SMTPException) as exc:
                failing = [h.id for h in held[index:]] if _connection_lost(exc) else [item.id]
                self._record_failures(failing, exc, report)
                if len(failing) > 1:
                    break
            else:
                self._mark_sent(item.id, 0)
                report.sent += 1
        return report

    @staticmethod
    def _record_failures(mail_ids: list, exc: BaseException, report: DeliveryReport) -> None:
        code, text = _reply(exc)
        mails = list(OutgoingMail.objects.filter(pk__in=mail_ids))
        attach_ciphers(mails, ciphers_for([mail.pk for mail in mails]), "pk")
        for mail in mails:
            state = _mark_failed_attempt(mail, timezone.now(), code, text, permanent=500 <= code < 600)
            report.failed += state == MailState.FAILED
            report.retrying += state == MailState.QUEUED
            report.cancelled += state == MailState.CANCELLED


def held_pending(*, about: tuple[str, Any]) -> int:
    """Held mails of the sender not yet delivered (queued or claimed)."""
    return OutgoingMail.objects.filter(
        about_type=about[0], about_id=str(about[1]), next_attempt_at=HELD_UNTIL, state__in=PENDING_STATES
    ).count()
