"""Consent and e-marketing (notice sections 2, 3 and 9): topics and their newsletter lists,
consents with their proof, B2B role relevance, subscriptions, the suppression list,
campaigns, their per-recipient delivery log and aggregate read counts.

Every value that tells something about a person (evidence of a consent, the reason a topic
concerns someone's work role, a pending sign-up's address) is encrypted; facts that are
codes, times and counts stay plain so audiences are computed in SQL.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from rekisteri.encryption.fields import EncryptedTextField
from rekisteri.lib.ids import uuid7

# The reserved topic whose consent allows individual read tracking (section 9).
TRACKING_TOPIC = "tracking"


class Topic(models.Model):
    """A marketing topic; a newsletter list is a topic people subscribe to."""

    class Kind(models.TextChoices):
        LIST = "list", _("Newsletter list")
        TRACKING = "tracking", _("Read tracking")

    slug = models.SlugField(max_length=64, unique=True)
    name_fi = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.LIST)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "fi").startswith("en") else self.name_fi


class Wording(models.Model):
    """The text a person was shown when consenting, per version; immutable once used."""

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="wordings")
    version = models.PositiveIntegerField()
    text_fi = models.TextField()
    text_en = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["topic", "-version"]
        constraints = [models.UniqueConstraint(fields=["topic", "version"], name="one_wording_per_version")]

    def __str__(self) -> str:
        return f"{self.topic.slug} v{self.version}"


class Channel(models.TextChoices):
    WEB_FORM = "web_form", _("Web form")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    PAPER = "paper", _("Paper")
    EVENT = "event", _("Event")
    # A one-click unsubscribe (RFC 8058) or the unsubscribe page of a message.
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
    PREFERENCES = "preferences", _("Preference centre")
    STAFF = "staff", _("Staff on the person's behalf")


class Consent(models.Model):
    """One consent of one person to one topic (Art. 7(1): the controller can show it).

    History is kept: a withdrawal ends this row (Art. 7(3)), and consenting again is a new
    row. At most one current (not withdrawn) consent per person and topic.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="consents")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="consents")
    wording = models.ForeignKey(Wording, on_delete=models.PROTECT, related_name="consents")
    given_at = models.DateTimeField(default=timezone.now)
    given_channel = models.CharField(max_length=16, choices=Channel.choices)
    # JSON: for a web form its name and the client address; for a verbal consent the staff
    # member who heard it (also in recorded_by). Personal data, so encrypted.
    evidence = EncryptedTextField(person_attr="person_id")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_channel = models.CharField(max_length=16, choices=Channel.choices, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-given_at"]
        indexes = [
            # Serves the audience: current consents of a topic.
            models.Index(
                fields=["topic", "person"], name="consent_current_idx", condition=Q(withdrawn_at=None)
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "topic"], condition=Q(withdrawn_at=None), name="one_current_consent"
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at=None) | ~Q(withdrawn_channel=""),
                name="consent_withdrawal_has_channel",
            ),
        ]

    def __str__(self) -> str:
        return f"consent {self.pk} ({self.topic_id})"

    @property
    def is_current(self) -> bool:
        return self.withdrawn_at is None


class RoleRelevance(models.Model):
    """B2B opt-out (Act 917/2014 ch. 24): staff mark that a topic concerns a contact's work
    role, with the reason. Opt-out marketing on a topic reaches only contacts marked so."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="role_relevance")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="role_relevance")
    reason = EncryptedTextField(person_attr="person_id", max_length=500)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    marked_at = models.DateTimeField(default=timezone.now)
    # A removal ends the row and keeps it as history: when, by whom, why (a replacing mark
    # says so). Encrypted like the reason: it tells about the person's work.
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removal_reason = EncryptedTextField(person_attr="person_id", max_length=500)

    class Meta:
        ordering = ["-marked_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "topic"], condition=Q(removed_at=None), name="one_current_relevance"
            ),
        ]
        indexes = [
            # Serves the opt-out audience: contacts marked relevant for a topic.
            models.Index(
                fields=["topic", "person"], name="relevance_current_idx", condition=Q(removed_at=None)
            ),
        ]

    def __str__(self) -> str:
        # Ids only: __str__ ends up in logs.
        return f"role relevance {self.pk}"


class Subscription(models.Model):
    """A person on a newsletter list. Opt-in sign-ups become active only when confirmed."""

    class State(models.TextChoices):
        ACTIVE = "active", _("Subscribed")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="subscriptions")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="subscriptions")
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    subscribed_at = models.DateTimeField(default=timezone.now)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_channel = models.CharField(max_length=16, choices=Channel.choices, blank=True)

    class Meta:
        ordering = ["topic"]
        constraints = [models.UniqueConstraint(fields=["person", "topic"], name="one_subscription_per_list")]
        indexes = [
            # Serves the audience: active subscribers of a list.
            models.Index(
                fields=["topic", "person"], name="subscription_active_idx", condition=Q(state="active")
            ),
        ]

    def __str__(self) -> str:
        # Ids only: __str__ ends up in logs.
        return f"subscription {self.pk} ({self.state})"


class Signup(models.Model):
    """A sign-up from the public form waiting for its confirmation (double opt-in).

    Not linked to a person until confirmed: whether the address is in the register is not
    looked at before the owner of the address has confirmed. Its values are under a key of
    its own, destroyed when it is confirmed or expires.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="+")
    wording = models.ForeignKey(Wording, on_delete=models.PROTECT, related_name="+")
    email = EncryptedTextField(person_attr="pk", max_length=254)
    first_name = EncryptedTextField(person_attr="pk", max_length=100)
    last_name = EncryptedTextField(person_attr="pk", max_length=100)
    # The form and the client address it came from: the proof of the web consent.
    evidence = EncryptedTextField(person_attr="pk")
    language = models.CharField(max_length=5, default="fi")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        # Ids only: __str__ ends up in logs.
        return f"sign-up {self.pk}"


class Suppression(models.Model):
    """Keyed hashes (keystore.email_suppression_hash) of addresses kept out of campaigns:
    those that unsubscribed from everything (every audience), and erased persons' addresses,
    copied from the erasure journal (opt-out audiences: a person re-created with the address
    gave no new opt-in). Nothing else of an erased person stays here."""

    UNSUBSCRIBED_ALL = "unsubscribed_all"
    ERASED = "erased"

    email_hash = models.CharField(max_length=64, unique=True)
    # The hash's address-hash entry (lib.blind_index.address_hash_entry).
    term = models.BigIntegerField(null=True)
    reason = models.CharField(max_length=32, default=UNSUBSCRIBED_ALL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # Serves the audience: the suppressed entries matched against persons' entries.
            models.Index(fields=["term"], name="suppression_term_idx"),
            # Serves copying the erasure journal: the newest erased address copied.
            models.Index(fields=["reason", "created_at"], name="suppression_reason_idx"),
        ]

    def __str__(self) -> str:
        # Ids only: __str__ ends up in logs.
        return f"suppression {self.pk}"


class Basis(models.TextChoices):
    OPT_IN = "opt_in", _("Opt-in consent")
    B2B_OPT_OUT = "b2b_opt_out", _("B2B: work role, unless objected")


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="campaigns")
    subject = models.CharField(max_length=200)
    body_markdown = models.TextField()
    basis = models.CharField(max_length=16, choices=Basis.choices, default=Basis.OPT_IN)
    language = models.CharField(max_length=5, default="fi")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    # Messages per second handed to the mail server (0: MARKETING_RATE_LIMIT).
    rate_limit = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The audience as computed when sending started: counts only, per exclusion reason.
    audience_counts = models.JSONField(default=dict)
    # The worker running the send holds it until then; a killed worker's send is resumed after.
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("send_campaign", "Can send, pause, resume and cancel campaigns")]
        indexes = [
            # Serves the worker's look for sends to start or resume.
            models.Index(fields=["status", "scheduled_at"], name="campaign_status_idx"),
        ]

    def __str__(self) -> str:
        return f"campaign {self.pk}"


class Delivery(models.Model):
    """The per-recipient delivery log: one row per campaign and person, never two (a resumed
    send skips those who have one). The outbox mail holds the state and the server's reply."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="deliveries")
    # Detached when the person is erased: the counts stay, nothing of the person does.
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mail = models.OneToOneField("outbox.OutgoingMail", null=True, on_delete=models.SET_NULL, related_name="+")
    # sha256 of the opaque token in the message's unsubscribe and tracking links.
    token_hash = models.CharField(max_length=64, unique=True)
    # Tracking is individual only for persons who consented at send time (section 9, CNIL).
    tracking_allowed = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "person"], name="one_delivery_per_person")]

    def __str__(self) -> str:
        # Ids only: __str__ ends up in logs.
        return f"delivery {self.pk}"


class ReadCount(models.Model):
    """Aggregate opens and clicks of a campaign per hour: no person in it."""

    class Kind(models.TextChoices):
        OPEN = "open", _("Opened")
        CLICK = "click", _("Clicked")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="read_counts")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    hour = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "kind", "hour"], name="one_count_per_hour")
        ]

    def __str__(self) -> str:
        # Ids only: __str__ ends up in logs.
        return f"{self.kind} count of campaign {self.campaign_id}"


class PreferenceLink(models.Model):
    """A single-use link to the preference centre, mailed to an address on request.

    Like a sign-up it names no person: the address (under the link's own key) is looked up
    only when its owner opens the link. Using it opens a short session on the page.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    email = EncryptedTextField(person_attr="pk", max_length=254)
    language = models.CharField(max_length=5, default="fi")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    session_hash = models.CharField(max_length=64, blank=True, db_index=True)
    session_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        # Ids only: __str__ ends up in logs.
        return f"preference link {self.pk}"
