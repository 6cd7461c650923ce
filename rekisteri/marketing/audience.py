"""The audience of a campaign, computed when it is sent, never picked by hand (section 3).

A person receives a campaign on a topic only when all of these hold at that moment:
subscribed to the list; a lawful basis for the topic (an opt-in consent in force, or for
a B2B opt-out campaign the topic marked relevant to their work role, Act 917/2014 ch. 24);
not restricted (Art. 18); not objected to direct marketing (Art. 21(3)); not unsubscribed;
the address not on the suppression list (unsubscribed from everything) and, for opt-out,
not an erased person's address (a person re-created with it gave no new opt-in). Everyone
else who is linked to the list or the topic is counted under the first reason that
excludes them, so the preview tells staff why.

No address is decrypted to compute it: the suppression list is matched against persons'
address-hash entries in SQL (rekisteri.lib.blind_index), and only the few persons an entry
matches have their address decrypted, to compare the full hash. The sender decrypts the
recipients' addresses a batch at a time, as it queues their mails.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    ExpressionWrapper,
    Max,
    OuterRef,
    Q,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from rekisteri.encryption.models import SearchTerm
from rekisteri.encryption.services import address_hash
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.keystore.services import ciphers_for, indexer
from rekisteri.lib.blind_index import address_hash_entry
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
    "no_address",
    "suppressed",
    "erased_address",
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
# Erasures committed out of the order of their times by at most this much are still copied.
_JOURNAL_OVERLAP = timedelta(minutes=10)


def erased_addresses_copy() -> int:
    """Copy the keyed address hashes of the erasure journal (in the key store) that are not
    yet on the suppression list into it, as erased addresses; returns how many were new.

    The journal is the record of erasures (restores replay it); the copy lets audiences
    match erased addresses in SQL. Only the journal's newest entries are read each time.
    """
    from rekisteri.keystore.models import ErasureTombstone

    erased = Suppression.objects.filter(reason=Suppression.ERASED)
    newest = erased.aggregate(newest=Max("created_at"))["newest"]
    journal = ErasureTombstone.objects.using(KEYSTORE_DB).exclude(email_hash="")
    if newest is not None:
        journal = journal.filter(erased_at__gte=newest - _JOURNAL_OVERLAP)
    bits = indexer().bits
    added = 0
    rows = list(journal.order_by("erased_at").values_list("email_hash", "erased_at"))
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        known = set(
            Suppression.objects.filter(email_hash__in=[digest for digest, _ in batch]).values_list(
                "email_hash", flat=True
            )
        )
        new = [
            Suppression(
                email_hash=digest,
                term=address_hash_entry(digest, bits),
                reason=Suppression.ERASED,
                created_at=erased_at,
            )
            for digest, erased_at in dict(batch).items()
            if digest not in known
        ]
        Suppression.objects.bulk_create(new, ignore_conflicts=True)
        added += len(new)
    return added


@dataclass
class Recipient:
    person_id: UUID
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


def _rows(queryset) -> list[tuple]:
    """The rows of a values_list queryset without the ORM's per-value conversions (a UUID
    object built per id cost more than running the query): ids come as the database gives
    them, codes and flags as plain values."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _first_reason(*whens: When, default: str = "") -> Case:
    return Case(*whens, default=Value(default), output_field=CharField())


def _subscribers(topic: Topic, basis: str, tracking_topic: int | None) -> list[tuple]:
    """(person id, reason or "", tracking allowed) of everyone on the list, subscribed or not."""
    person = OuterRef("person_id")
    consent = Consent.objects.filter(person=person, topic=topic, withdrawn_at=None)
    basis_in_force = Exists(consent)
    if basis == Basis.B2B_OPT_OUT:
        basis_in_force |= Exists(RoleRelevance.objects.filter(person=person, topic=topic, removed_at=None))
    tracking = (
        Exists(Consent.objects.filter(person=person, topic_id=tracking_topic, withdrawn_at=None))
        if tracking_topic is not None
        else Value(False)
    )
    return _rows(
        Subscription.objects.filter(topic=topic)
        .annotate(
            reason=_first_reason(
                When(person__restricted_at__isnull=False, then=Value("restricted")),
                When(person__marketing_objection_at__isnull=False, then=Value("objected")),
                When(~Q(state=Subscription.State.ACTIVE), then=Value("unsubscribed")),
                When(~basis_in_force, then=Value("no_basis")),
                # Whether there is an address at all: no ciphertext is read.
                When(person__email__isnull=True, then=Value("no_address")),
            ),
            tracking=ExpressionWrapper(tracking, output_field=BooleanField()),
        )
        .values_list("person_id", "reason", "tracking")
        # The same order every time: a resumed send goes on where it stopped.
        .order_by("person_id")
    )


def _linked_not_subscribed(topic: Topic, basis: str) -> list[tuple]:
    """(person id, reason) of those with a basis for the topic who are not on its list."""
    listed = Exists(Subscription.objects.filter(person=OuterRef("person_id"), topic=topic))
    reason = _first_reason(
        When(person__restricted_at__isnull=False, then=Value("restricted")),
        When(person__marketing_objection_at__isnull=False, then=Value("objected")),
        default="not_subscribed",
    )
    linked = [Consent.objects.filter(topic=topic, withdrawn_at=None)]
    if basis == Basis.B2B_OPT_OUT:
        linked.append(RoleRelevance.objects.filter(topic=topic, removed_at=None))
    rows: dict = {}
    for rows_of in linked:
        queryset = rows_of.filter(~listed).annotate(why=reason).values_list("person_id", "why")
        rows.update(_rows(queryset))
    return list(rows.items())


def addresses_of(person_ids: list) -> Iterator[tuple[Any, str]]:
    """(id, address) of these persons, decrypted a batch at a time (one query and one
    key-store query a batch); a person without an address, or erased meanwhile, is left out.
    The caller audits the read."""
    for start in range(0, len(person_ids), _BATCH):
        batch = person_ids[start : start + _BATCH]
        blobs = dict(Person.objects.filter(pk__in=batch).values_list("pk", "email"))
        ciphers = ciphers_for(blobs)
        for person_id in batch:
            blob, cipher = blobs.get(person_id), ciphers.get(str(person_id))
            if blob is None or cipher is None:
                continue
            email = cipher.decrypt(blob, table=_TABLE, column=_EMAIL_COLUMN, row_id=person_id)
            if email:
                yield person_id, email


def _suppressed(basis: str) -> dict[Any, str]:
    """The persons whose address is on the suppression list, with the reason that applies
    ("suppressed" or, for opt-out, "erased_address").

    Their address-hash entries are matched against the list's in the database. An entry is
    a truncated hash, so each match is confirmed against the full hash of the person's
    decrypted address: only these few addresses are decrypted, and a chance match of the
    truncated entries never keeps anyone out.
    """
    reasons = [Suppression.UNSUBSCRIBED_ALL]
    if basis == Basis.B2B_OPT_OUT:
        erased_addresses_copy()
        reasons.append(Suppression.ERASED)
    listed_table = connection.ops.quote_name(Suppression._meta.db_table)
    terms_table = connection.ops.quote_name(SearchTerm._meta.db_table)
    marks = ", ".join(["%s"] * len(reasons))
    with connection.cursor() as cursor:
        # Driven by the list: each of its entries is a look-up in the entries' primary key.
        cursor.execute(
            f"SELECT st.person_id, s.email_hash, s.reason FROM {listed_table} s "
            f"JOIN {terms_table} st ON st.kind = %s AND st.term = s.term WHERE s.reason IN ({marks})",
            [int(SearchTerm.Kind.ADDRESS_HASH), *reasons],
        )
        matches = cursor.fetchall()
    if not matches:
        return {}
    to_python = Person._meta.pk.to_python
    listed: dict[Any, dict[str, str]] = {}
    for person_id, digest, reason in matches:
        listed.setdefault(to_python(person_id), {})[digest] = reason
    found = {}
    for person_id, email in addresses_of(list(listed)):
        reason = listed[person_id].get(address_hash(email))
        if reason is not None:
            found[person_id] = "suppressed" if reason == Suppression.UNSUBSCRIBED_ALL else "erased_address"
    return found


def audience_compute(*, topic: Topic, basis: str) -> Audience:
    """Who a campaign on `topic` with `basis` reaches now, and how many each reason excludes.

    Returns ids only; the addresses of persons whose entry matches the suppression list are
    decrypted to confirm the match, never returned.
    """
    audience = Audience(topic=topic.slug, basis=basis)
    suppressed = _suppressed(basis)
    tracking_topic = Topic.objects.filter(slug=TRACKING_TOPIC).values_list("pk", flat=True).first()
    recipients, excluded = audience.recipients, audience.excluded
    for _person_id, reason in _linked_not_subscribed(topic, basis):
        excluded[reason] += 1
    for person_id, reason, tracking in _subscribers(topic, basis, tracking_topic):
        if reason:
            excluded[reason] += 1
            continue
        if not isinstance(person_id, UUID):  # SQLite gives the 32 hex digits
            person_id = UUID(person_id)
        if suppressed:
            reason = suppressed.get(person_id)
            if reason is not None:
                excluded[reason] += 1
                audience.suppressed_ids.append(person_id)
                continue
        recipients.append(Recipient(person_id, bool(tracking)))
    return audience
