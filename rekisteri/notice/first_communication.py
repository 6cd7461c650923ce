"""Art. 14(3)(b): a person whose data came from someone else is told where it came from at the
latest at the first communication with them, not only by the daily run (rekisteri.notice.informing).

What counts as a communication, and what happens then:

- Every mail the register queues to a person (rekisteri.outbox.services.mail_enqueue): campaign
  test mails aside, the mails to staff (privacy officer alerts, login alerts, digests) are marked
  `staff_only` and never count. A mail that names its person (`person_id`) is to that person; a
  mail answering someone who typed an address on a public page (newsletter double opt-in,
  preferences link, training results link, request verification and answers) is to the one
  person of the register with that address, if exactly one has it. Answers to the person's own
  request count: the law makes no exception for them. The one exception is the confirmation of
  an erasure (their sources go with them in the same act). The information goes as its own mail
  (informing.information_send, to the person's address in the register), queued in the same
  transaction just before the mail that triggered it, so the worker delivers it first (it orders
  by the time queued).
- Campaign mails (marketing.sending) carry it in the same message: see `carried_block`.
- A logged call, meeting, e-mail or event (contacts.services.interaction_create, from the UI
  and the API): the information is mailed at once, in the interaction's transaction, audited with
  the staff member as actor; the answer ("sent" / "owed") tells the staff member, who gives it
  orally or by post when the person has no address. Then it stays owed, due that very day
  (informing.information_due), on the privacy officer's list.

Restricted persons (Art. 18) get nothing: their data is only stored, and the privacy officer
sees them on the list. Persons without an address are left to the privacy officer, as in the
daily run. All of it reads ids, kinds and dates, and the one address it mails to.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import translation

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import Action, audit_record
from rekisteri.notice.informing import (
    COMMUNICATION_KINDS,
    KIND,
    OBJECT_TYPE,
    PURPOSE,
    _controller_name,
    _uninformed_sources,
    information_send,
    informed_now,
)
from rekisteri.notice.models import InformationChannel, SourceInformation
from rekisteri.outbox.models import MailState, OutgoingMail
from rekisteri.outbox.services import notice_url
from rekisteri.people.models import Person
from rekisteri.people.selectors import person_ids_matching_email
from rekisteri.privacy.models import SourceKind

ACTOR_LABEL = "first_communication"
# Mails that are no occasion to inform: the information itself, and the confirmation that the
# person's data (their sources with it) was erased.
NOT_AN_OCCASION = frozenset({KIND, "fulfilled_erasure"})

SENT = "sent"
OWED = "owed"


def _actor(created_by: Any) -> Actor:
    user = created_by if created_by is not None and getattr(created_by, "pk", None) else None
    return Actor(user=user, origin="system", label=ACTOR_LABEL)


# Who of a batch of persons about to be mailed is owed the information, found in one query
# (owed_among), so a mailing to many persons one mail_enqueue at a time (the notice's own
# announcement) does not ask once a mail: (the persons asked about, those owed).
_batch: ContextVar[tuple[frozenset, frozenset] | None] = ContextVar("art14_batch", default=None)


@contextmanager
def owed_among(person_ids: Iterable[Any]) -> Iterator[None]:
    """Within this block, the mails to these persons learn whether they are owed the
    information from one query made here."""
    asked = frozenset(person_ids)
    owed = frozenset(_uninformed_sources(asked).values_list("person_id", flat=True)) if asked else frozenset()
    token = _batch.set((asked, owed))
    try:
        yield
    finally:
        _batch.reset(token)


def _owed(person_id: Any) -> bool:
    batch = _batch.get()
    if batch is not None and person_id in batch[0]:
        return person_id in batch[1]
    return _uninformed_sources([person_id]).exists()


def before_person_mail(*, person_id: Any, to: str, kind: str, created_by: Any = None) -> None:
    """The outbox's hook (mail_enqueue, in the caller's transaction, before the mail is
    written): the Art. 14 information goes first when the recipient is still owed it."""
    if kind in NOT_AN_OCCASION:
        return
    if person_id is None:
        matches = person_ids_matching_email(to)
        if len(matches) != 1:  # nobody, or a shared address: no one person is addressed
            return
        person_id = matches[0]
    if not _owed(person_id):
        return
    person = Person.objects.filter(pk=person_id).first()
    if person is None or person.is_restricted or not person.email:
        return  # Art. 18, or no address of theirs: left to the privacy officer's list
    try:
        information_send(actor=_actor(created_by), person=person, trigger={"mail": kind})
    except ValidationError:
        pass  # informed meanwhile by another sender


def on_interaction(*, actor: Actor, person: Person, kind: str) -> str | None:
    """contacts' hook (interaction_create, in its transaction): a logged contact is a
    communication; returns SENT (the information was mailed now), OWED (it was not: the staff
    member gives it) or None (nothing due, or no communication)."""
    if kind not in COMMUNICATION_KINDS or not _uninformed_sources([person.pk]).exists():
        return None
    if person.is_restricted or not person.email:
        return OWED
    try:
        information_send(actor=actor, person=person, trigger={"interaction": kind})
    except ValidationError:
        return None  # informed meanwhile
    return SENT


def information_owed(person_id: Any) -> bool:
    """Whether the person is still owed the Art. 14 information (the card's reminder)."""
    return _uninformed_sources([person_id]).exists()


# --- Campaigns: the information carried in the campaign's own message ----------------------
#
# A campaign's mails are queued a batch at a time and handed to the mail server at once by
# the campaign's own sender (outbox.bulk); an information mail through the ordinary outbox
# would go in the worker's next round, after the campaign. So the recipient's copy of the
# campaign carries it, first, under its own heading, apart from the marketing (WP29/EDPB
# transparency guidelines: distinguishable from other matters): a message cannot arrive later
# than itself, and the campaign keeps its one outbox insert a batch. It is recorded per
# collection with that mail's id, as information_send records its own mail.


@dataclass
class CarriedInformation:
    """The due persons of one batch of a campaign, found in one query, and the block each
    one's copy carries (rendered once per combination of source kinds)."""

    language: str
    kinds_by_person: dict[UUID, tuple[str, ...]] = field(default_factory=dict)
    sources_by_person: dict[UUID, list[UUID]] = field(default_factory=dict)
    _blocks: dict[tuple[str, ...], tuple[str, str]] = field(default_factory=dict)
    _controller: str | None = None

    @classmethod
    def of(cls, person_ids: Iterable[Any], *, language: str) -> CarriedInformation:
        found = cls(language=language)
        kinds: dict[UUID, dict[str, None]] = {}
        rows = _uninformed_sources(person_ids).order_by("obtained_on").values_list("person_id", "pk", "kind")
        for person_id, source_id, kind in rows:
            kinds.setdefault(person_id, {})[kind] = None
            found.sources_by_person.setdefault(person_id, []).append(source_id)
        found.kinds_by_person = {person_id: tuple(k) for person_id, k in kinds.items()}
        return found

    def __bool__(self) -> bool:
        return bool(self.kinds_by_person)

    def carry(self, person_id: Any, text: str, html: str) -> tuple[str, str]:
        """The copy of a due person with the information first; others' as they were."""
        kinds = self.kinds_by_person.get(person_id)
        if not kinds:
            return text, html
        if kinds not in self._blocks:
            self._blocks[kinds] = self._render(kinds)
        block_text, block_html = self._blocks[kinds]
        at = html.find(">", html.find("<body")) + 1 if "<body" in html else 0
        return block_text + text, html[:at] + block_html + html[at:]

    def _render(self, kinds: tuple[str, ...]) -> tuple[str, str]:
        if self._controller is None:
            self._controller = _controller_name()
        labels = dict(SourceKind.choices)
        language = self.language if self.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        with translation.override(language):
            context = {
                "controller": self._controller,
                "sources": [str(labels[kind]) for kind in kinds],
                "notice_link": notice_url(language),
            }
            return (
                render_to_string("notice/mail/source_information_carried.txt", context),
                render_to_string("notice/mail/source_information_carried.html", context),
            )


def information_record_carried(
    *, actor: Actor, carried: CarriedInformation, mails: dict[Any, Any], about: tuple[str, Any]
) -> int:
    """Record that each person in `mails` (person id -> the mail that carried the block) was
    informed of the collections their block named; one audit event for the batch. Call it in
    the transaction that queued the mails. Returns how many collections were recorded."""
    mails = {person_id: mail for person_id, mail in mails.items() if person_id in carried.sources_by_person}
    if not mails:
        return 0
    # The persons' rows locked (PostgreSQL; SQLite's IMMEDIATE transaction holds the write lock
    # already), then their collections read again: another sender may have recorded some since,
    # and a collection added since was not in the block.
    list(Person.objects.select_for_update().filter(pk__in=list(mails)).values_list("pk", flat=True))
    named = [source_id for person_id in mails for source_id in carried.sources_by_person[person_id]]
    sources = list(_uninformed_sources(mails).filter(pk__in=named).values_list("pk", "person_id", "kind"))
    if not sources:
        return 0
    rows, version = informed_now(
        [
            {"person_id": person_id, "source_id": source_id, "mail_id": mails[person_id]}
            for source_id, person_id, _kind in sources
        ],
        channel=InformationChannel.EMAIL,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=OBJECT_TYPE,
        object_ids=[row.pk for row in rows],
        person_ids=sorted({person_id for _source, person_id, _kind in sources}, key=str),
        purpose=PURPOSE,
        detail={
            "kinds": sorted({kind for _source, _person, kind in sources}),
            "channel": InformationChannel.EMAIL,
            "carried_in": about[0],
            "about": str(about[1]),
            "notice_version": version.number if version is not None else None,
        },
    )
    return len(rows)


def information_carried_withdraw(*, actor: Actor, about: tuple[str, Any]) -> int:
    """A campaign cancelled before some of its copies went: the collections those copies were
    to tell of are owed again (their records go, audited), so the daily run or the next
    communication informs. Call it in the cancellation's transaction; returns how many."""
    cancelled = OutgoingMail.objects.filter(
        about_type=about[0], about_id=str(about[1]), state=MailState.CANCELLED
    ).values("pk")
    rows = list(SourceInformation.objects.filter(mail_id__in=cancelled).values_list("pk", "person_id"))
    if not rows:
        return 0
    SourceInformation.objects.filter(pk__in=[pk for pk, _person in rows]).delete()
    audit_record(
        actor=actor,
        action=Action.DELETE,
        object_type=OBJECT_TYPE,
        object_ids=[pk for pk, _person in rows],
        person_ids=sorted({person_id for _pk, person_id in rows}, key=str),
        purpose=PURPOSE,
        detail={"reason": "carrying_mail_cancelled", "carried_in": about[0], "about": str(about[1])},
    )
    return len(rows)
