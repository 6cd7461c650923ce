"""The outbox: every mail the register sends, written in the transaction of the decision it
reports and delivered by the worker (services.outbox_deliver).

A mail's recipient, subject, bodies, headers and the server's replies are personal data:
they are encrypted under a data key of the mail's own (created with the row), so an erasure
or the end of the mail's retention destroys them like any other personal value. The state,
times, counts and reply codes stay as the delivery record.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.encryption.fields import EncryptedTextField
from rekisteri.lib.ids import uuid7


class MailState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    # Claimed by a worker until lease_until; a worker that died leaves it to be claimed again.
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # Not sent and never will be: the recipient was erased before it went out.
    CANCELLED = "cancelled", _("Cancelled")


PENDING_STATES = (MailState.QUEUED, MailState.SENDING)


# What each kind of mail is, for people (the kind itself is a template name).
KIND_LABELS = {
    "verify": _("Verification link of a portal request"),
    "extended": _("Extension of the deadline"),
    "refused": _("Refusal with reasons"),
    "fulfilled_access": _("Answer to an access request"),
    "fulfilled_portability": _("Answer to a portability request"),
    "fulfilled_rectification": _("Answer to a rectification request"),
    "fulfilled_erasure": _("Answer to an erasure request"),
    "fulfilled_restriction": _("Answer to a restriction request"),
    "fulfilled_objection": _("Answer to an objection"),
    "fulfilled_consent_withdrawal": _("Answer to a withdrawal of consent"),
    "restriction_lifted": _("Restriction lifted"),
    "digest": _("Daily digest of requests due"),
    "notice_announcement": _("Announcement of a privacy notice change"),
    "source_information": _("Information on the source of the data (Art. 14)"),
    "delivery_failed_alert": _("Alert of undelivered mail"),
    "login_alert": _("Alert of password guessing"),
    "access_review_due": _("Reminder of the quarterly access review"),
    "training_report": _("Training report to a customer organization"),
    "training_results_link": _("Link to a student's own training results"),
    "training_results_none": _("No training results found for a portal address"),
}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


class Delivery(models.TextChoices):
    SMTP = "smtp", _("Mail server")
    MAILBOX = "mailbox", _("Local mailbox")


class OutgoingMail(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    # The template (or campaign) the mail was made from, e.g. "verify", "refused": no values.
    kind = models.CharField(max_length=64)
    language = models.CharField(max_length=5, default="fi")
    # The purpose of section 2 the mail serves, as for audit events.
    purpose = models.CharField(max_length=64, blank=True)
    # What the mail is about, without a foreign key (the outbox serves every domain):
    # e.g. ("rights_request", <request id>), so a request's history lists its mails.
    about_type = models.CharField(max_length=32, blank=True)
    about_id = models.CharField(max_length=64, blank=True)
    # The person in the register the mail concerns, when known. Detached on erasure, and the
    # mail's own key destroyed with the person's (the personal-data registry).
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_address = EncryptedTextField(person_attr="pk", max_length=254)
    subject = EncryptedTextField(person_attr="pk", max_length=998)
    body_text = EncryptedTextField(person_attr="pk")
    body_html = EncryptedTextField(person_attr="pk")
    # Extra headers as JSON (e.g. List-Unsubscribe, which carries a personal token).
    headers = EncryptedTextField(person_attr="pk")
    # Files go with it (MailAttachment): the worker reads them only then.
    has_attachments = models.BooleanField(default=False)
    state = models.CharField(max_length=16, choices=MailState.choices, default=MailState.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # The SMTP reply code of the last failure (0: no reply, e.g. connection refused) and the
    # reply itself, which may name the recipient, encrypted.
    last_error_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = EncryptedTextField(person_attr="pk", max_length=2000)
    delivered_via = models.CharField(max_length=16, choices=Delivery.choices, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    # The privacy officer has been alerted of the failure (once per mail).
    alerted_at = models.DateTimeField(null=True, blank=True)
    # Destroy the content as soon as the mail is delivered or given up, not at the end of the
    # retention: the confirmation of an erasure must not keep the erased person's address.
    destroy_after_sending = models.BooleanField(default=False)
    # When the content was destroyed (retention after delivery, or erasure of the person).
    content_destroyed_at = models.DateTimeField(null=True, blank=True)
    resend_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [
            # Serves the worker's claim: pending mails whose next attempt is due.
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_due_idx",
                condition=Q(state__in=["queued", "sending"]),
            ),
            # Serves a request's history: the mails about one object.
            models.Index(fields=["about_type", "about_id"], name="outbox_about_idx"),
            # Serves the mail list filtered by state, newest first, and the content retention.
            models.Index(fields=["state", "-created_at"], name="outbox_state_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False), name="outbox_sent_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(state="failed") | Q(failed_at__isnull=False), name="outbox_failed_has_time"
            ),
        ]

    def __str__(self) -> str:
        # Ids only: __str__ ends up in logs.
        return f"mail {self.pk} ({self.kind}, {self.state})"

    @property
    def is_pending(self) -> bool:
        return self.state in PENDING_STATES

    @property
    def message_id(self) -> str:
        return f"<{self.pk}@rekisteri>"


class MailAttachment(models.Model):
    """A file sent with a mail (a training report to a customer organization's contact).

    Its name and content are encrypted under the mail's own key, so they go with the mail's
    content: at its retention, when it is sent with `destroy_after_sending`, or when the
    person it concerns is erased.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    mail = models.ForeignKey(OutgoingMail, on_delete=models.CASCADE, related_name="attachments")
    filename = EncryptedTextField(person_attr="mail_id", max_length=200)
    content_type = models.CharField(max_length=100)
    # The file as base64 text (the encrypted column holds text).
    content = EncryptedTextField(person_attr="mail_id", empty_as_null=False)
    size = models.PositiveIntegerField()
    # The order the files were given in.
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["mail", "position"]

    def __str__(self) -> str:
        return f"attachment {self.pk} of mail {self.mail_id}"
