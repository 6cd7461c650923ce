"""The audience of a campaign, computed when it is sent, never picked by hand (section 3).

A person receives a campaign on a topic only when all of these hold at that moment:
subscribed to the list; a lawful basis for the topic (an opt-in consent in force, or for
a B2B opt-out campaign the topic marked relevant to their work role, Act 917/2014 ch. 24);
not restricted (Art. 18); not objected to direct marketing (Art. 21(3)); not unsubscribed;
the address not on the suppression list (unsubscribed from everything) and, for opt-out,
not an erased person's address (a person re-created with it gave no new opt-in). Everyone
else who is linked to the list or the topic is counted under the first reason that
excludes them, so the preview tells staff why.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from uuid import UUID

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.keystore.services import ciphers_for, email_suppression_hash
from rekisteri.marketing.models import (
    TRACKING_TOPIC,
    Basis,
    Consent,
    RoleRelevance,
    Subscription,
    Suppression,
    Topic,
)
from rekisteri.people.models import Person

# In the order they are checked; a person is counted under the first that applies.
REASONS = (
    "restricted",
    "objected",
    "unsubscribed",
    "not_subscribed",
    "no_basis",
    "suppressed",
    "erased_address",
    "no_address",
)
# For people: what each reason means (the API and the CLI give the codes).
REASON_LABELS = {
    "restricted": _("Processing restricted"),
    "objected": _("Objected to direct marketing"),
    "unsubscribed": _("Unsubscribed"),
    "not_subscribed": _("Not on the list"),
    "no_basis": _("No consent (or, for B2B, topic not marked relevant)"),
    "suppressed": _("Address on the suppression list"),
    "erased_address": _("Address of an erased person"),
    "no_address": _("No e-mail address"),
}
_BATCH = 2000
_TABLE = Person._meta.db_table
_EMAIL_COLUMN = Person._meta.get_field("email").column


def address_hash(email: str) -> str:
    """The keyed hash of an address, as the erasure tombstone and the suppression list keep it."""
    return email_suppression_hash(email.strip().casefold()) if email else ""


def erased_address_hashes() -> set[str]:
    """The suppression hashes of erased persons' addresses, from the erasure journal."""
    from rekisteri.keystore.models import ErasureTombstone

    return set(
        ErasureTombstone.objects.using(KEYSTORE_DB)
        .exclude(email_hash="")
        .values_list("email_hash", flat=True)
    )


@dataclass
class Recipient:
    person_id: UUID
    email: str
    tracking_allowed: bool


@dataclass
class Audience:
    topic: str
    basis: str
    recipients: list[Recipient] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REASONS, 0))
    # Recipients excluded by the suppression list or an erased address, for staff to see why.
    suppressed_ids: list[UUID] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.recipients)

    def counts(self) -> dict:
        return {"audience": self.count, "excluded": dict(self.excluded)}


def _candidates(topic: Topic, basis: str):
    subscribed = Subscription.objects.filter(person=OuterRef("pk"), topic=topic)
    consent = Consent.objects.filter(person=OuterRef("pk"), topic=topic, withdrawn_at=None)
    relevant = RoleRelevance.objects.filter(person=OuterRef("pk"), topic=topic, removed_at=None)
    tracking = Consent.objects.filter(person=OuterRef("pk"), topic__slug=TRACKING_TOPIC, withdrawn_at=None)
    linked = Q(Exists(subscribed)) | Q(Exists(consent))
    if basis == Basis.B2B_OPT_OUT:
        linked |= Q(Exists(relevant))
    return (
        Person.objects.filter(linked)
        .annotate(
            active=Exists(subscribed.filter(state=Subscription.State.ACTIVE)),
            listed=Exists(subscribed),
            consented=Exists(consent),
            relevant=Exists(relevant),
            tracking=Exists(tracking),
        )
        .order_by("pk")
        .values_list(
            "pk",
            "restricted_at",
            "marketing_objection_at",
            "active",
            "listed",
            "consented",
            "relevant",
            "tracking",
            # The address's ciphertext comes along: no second query for the eligible.
            "email",
        )
    )


def _reason(row, basis: str) -> str | None:
    _, restricted_at, objected_at, active, listed, consented, relevant, *_ = row
    if restricted_at is not None:
        return "restricted"
    if objected_at is not None:
        return "objected"
    if listed and not active:
        return "unsubscribed"
    if not listed:
        return "not_subscribed"
    if not (consented or (basis == Basis.B2B_OPT_OUT and relevant)):
        return "no_basis"
    return None


def _emails(ciphertexts: dict) -> Iterator[tuple[UUID, str]]:
    """The persons' addresses, decrypted a batch at a time (one key-store query a batch)."""
    ciphers = ciphers_for(ciphertexts)
    for person_id, blob in ciphertexts.items():
        cipher = ciphers.get(str(person_id))
        if blob is None or cipher is None:  # no address, or erased meanwhile
            yield person_id, ""
            continue
        yield person_id, cipher.decrypt(blob, table=_TABLE, column=_EMAIL_COLUMN, row_id=person_id) or ""


def audience_compute(*, topic: Topic, basis: str) -> Audience:
    """Who a campaign on `topic` with `basis` reaches now, and how many each reason excludes.

    Reads addresses (decrypted in memory, never returned to a page): the caller audits it.
    """
    audience = Audience(topic=topic.slug, basis=basis)
    suppressed = set(Suppression.objects.values_list("email_hash", flat=True))
    erased = erased_address_hashes() if basis == Basis.B2B_OPT_OUT else set()
    eligible: list[tuple[UUID, bool, bytes | None]] = []
    for row in _candidates(topic, basis).iterator(chunk_size=_BATCH):
        reason = _reason(row, basis)
        if reason is not None:
            audience.excluded[reason] += 1
        else:
            eligible.append((row[0], row[7], row[8]))
    check_hashes = bool(suppressed or erased)
    for start in range(0, len(eligible), _BATCH):
        batch = eligible[start : start + _BATCH]
        tracking = {person_id: allowed for person_id, allowed, _blob in batch}
        for person_id, email in _emails({person_id: blob for person_id, _allowed, blob in batch}):
            if not email:
                audience.excluded["no_address"] += 1
                continue
            if check_hashes:
                digest = address_hash(email)
                if digest in suppressed or digest in erased:
                    audience.excluded["suppressed" if digest in suppressed else "erased_address"] += 1
                    audience.suppressed_ids.append(person_id)
                    continue
            audience.recipients.append(Recipient(person_id, email, tracking[person_id]))
    return audience
