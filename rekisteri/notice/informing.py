"""Art. 14: telling persons whose data came from someone else (section 5) where it came from.

A source of any kind but the person themselves (the employer or a customer's contact notice,
public sources, Suomen Asiakastieto) is a collection the person must be told of within a
month, or at the first communication with them if that comes first (Art. 14(3)(a), (b)).
`information_due` lists the persons owed it, overdue first; `information_send` mails one
person through the outbox in their language, linking the public notice, and records it per
collection (notice.SourceInformation), so nobody is told twice of the same collection;
`information_send_due` does it for everyone due.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import Action, audit_record
from rekisteri.contacts.models import Interaction
from rekisteri.errors import ServiceError
from rekisteri.lib.deadlines import add_months
from rekisteri.notice.models import InformationChannel, NoticeVersion, SourceInformation
from rekisteri.notice.selectors import version_in_force
from rekisteri.notice.tasks import person_languages
from rekisteri.outbox.models import OutgoingMail
from rekisteri.outbox.services import mail_enqueue, notice_url, render_mail
from rekisteri.people.models import Person
from rekisteri.privacy.models import DataSource, GroupCompany, SourceKind
from rekisteri.rights.tasks import once_a_day_enqueue

KIND = "source_information"
ABOUT = "source_information"
OBJECT_TYPE = "source_information"
# Informing people how their data is processed is the controller's own obligation (Art. 12-14).
PURPOSE = "rights_and_obligations"
# Every source but the person themselves (Art. 13 covers what they gave us).
THIRD_PARTY_KINDS = tuple(kind for kind in SourceKind.values if kind != SourceKind.DATA_SUBJECT)
BATCH = 500
# Contacts in which the person hears from us: the first one is the latest moment to inform.
COMMUNICATION_KINDS = (
    Interaction.Kind.MEETING,
    Interaction.Kind.CALL,
    Interaction.Kind.EMAIL,
    Interaction.Kind.EVENT,
)


@dataclass
class DuePerson:
    person_id: UUID
    source_ids: list[UUID]
    kinds: list[str]
    obtained_on: date  # the earliest collection not yet informed of
    due_on: date

    def overdue(self, today: date) -> bool:
        return self.due_on < today


@dataclass
class SendReport:
    sent: list[UUID] = field(default_factory=list)
    no_address: list[UUID] = field(default_factory=list)
    restricted: list[UUID] = field(default_factory=list)
    dry_run: bool = False


def _uninformed_sources(person_ids: Iterable[Any] | None = None):
    sources = DataSource.objects.filter(kind__in=THIRD_PARTY_KINDS, information__isnull=True)
    if person_ids is not None:
        sources = sources.filter(person_id__in=list(person_ids))
    return sources


def information_due(*, person_ids: Iterable[Any] | None = None) -> list[DuePerson]:
    """The persons owed Art. 14 information, earliest due date (the overdue) first.

    Ids, kinds and dates only: nothing here is read from the encrypted values."""
    by_person: dict[UUID, DuePerson] = {}
    rows = _uninformed_sources(person_ids).values_list("person_id", "pk", "kind", "obtained_on")
    for person_id, source_id, kind, obtained_on in rows.order_by("obtained_on"):
        entry = by_person.get(person_id)
        if entry is None:
            # Art. 14(3)(a): within one month of obtaining the data.
            entry = by_person[person_id] = DuePerson(
                person_id, [], [], obtained_on, add_months(obtained_on, 1)
            )
        entry.source_ids.append(source_id)
        if kind not in entry.kinds:
            entry.kinds.append(kind)
    # Art. 14(3)(b): at the latest at the first communication with the person. In batches:
    # SQLite limits the parameters of one statement.
    ids = list(by_person)
    for start in range(0, len(ids), BATCH):
        contacts = (
            Interaction.objects.filter(person_id__in=ids[start : start + BATCH], kind__in=COMMUNICATION_KINDS)
            .order_by("occurred_at")
            .values_list("person_id", "occurred_at")
        )
        # A mail to the person is a communication too (rekisteri.notice.first_communication): one
        # that could not carry the information (no address of theirs in the register, a shared
        # address, a restriction) leaves it due that day. Staff mails name no person.
        batch = ids[start : start + BATCH]
        since = min(by_person[person_id].obtained_on for person_id in batch)
        mails = (
            OutgoingMail.objects.filter(
                person_id__in=batch,
                created_at__gte=timezone.make_aware(datetime.combine(since, time.min)),
            )
            .exclude(kind__in=(KIND, "fulfilled_erasure"))
            .values_list("person_id", "created_at")
        )
        for person_id, occurred_at in [*contacts, *mails]:
            entry = by_person[person_id]
            day = timezone.localdate(occurred_at)
            if entry.obtained_on <= day < entry.due_on:
                entry.due_on = day
    return sorted(by_person.values(), key=lambda entry: (entry.due_on, str(entry.person_id)))


@dataclass
class SourceStatus:
    """One source of a person's data as the card shows it for Art. 14: not needed (the person
    gave it themselves, Art. 13), informed (when, how), or owed (by when)."""

    source: DataSource
    state: str  # "not_needed", "informed", "due" or "overdue"
    informed: SourceInformation | None = None
    due_on: date | None = None


def source_statuses(
    *, person_id: Any, sources: list[DataSource], today: date | None = None
) -> list[SourceStatus]:
    """The Art. 14 state of each of the person's sources (those the card already shows): ids
    and dates only, so the card's own read of the person covers it."""
    today = today or timezone.localdate()
    informed = {row.source_id: row for row in SourceInformation.objects.filter(source__in=sources)}
    due = information_due(person_ids=[person_id])
    due_on = due[0].due_on if due else None
    statuses = []
    for source in sources:
        if source.kind not in THIRD_PARTY_KINDS:
            statuses.append(SourceStatus(source, "not_needed"))
        elif source.pk in informed:
            statuses.append(SourceStatus(source, "informed", informed=informed[source.pk]))
        else:
            state = "overdue" if due_on is not None and due_on < today else "due"
            statuses.append(SourceStatus(source, state, due_on=due_on))
    return statuses


def _controller_name() -> str:
    controller = GroupCompany.objects.filter(is_controller=True).first()
    return controller.name if controller is not None else ""


def _mail(person: Person, kinds: list[str], language: str) -> tuple[str, str, str]:
    labels = dict(SourceKind.choices)
    with translation.override(language):
        kind_labels = [str(labels[kind]) for kind in kinds]
    context = {
        "first_name": person.first_name,
        "controller": _controller_name(),
        "sources": kind_labels,
        "notice_link": notice_url(language),
    }
    return render_mail("notice/mail/source_information", context, language)


def information_send(
    *, actor: Actor, person: Person, dry_run: bool = False, trigger: dict | None = None
) -> list[SourceInformation]:
    """Mail the person the Art. 14 information about every collection not yet told of, and
    record it per collection with the notice version in force and the mail's id. `trigger`
    names the first communication that sends it now (Art. 14(3)(b)), for the audit event.

    Refused (ValidationError) when nothing is due, the person has no address, or processing
    is restricted (Art. 18: storage only). A dry run checks and writes nothing."""
    if person.is_restricted:
        raise ServiceError(
            _("Processing of the person's data is restricted (Art. 18)."),
            code="information.restricted",
            field="person",
        )
    if not person.email:
        raise ServiceError(
            _("The person has no e-mail address: inform them by other means."),
            code="information.no_email",
            field="person",
        )
    with transaction.atomic():
        # Under the write lock (SQLite's IMMEDIATE transaction, the person's row on PostgreSQL),
        # so two senders cannot both find the same collection uninformed; the one-to-one
        # source of SourceInformation refuses a second record in any case.
        Person.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True).first()
        sources = list(_uninformed_sources([person.pk]).order_by("obtained_on"))
        if not sources:
            raise ServiceError(
                _("The person has been informed of every source."),
                code="information.nothing_due",
                field="person",
            )
        if dry_run:
            return []
        kinds = list(dict.fromkeys(source.kind for source in sources))
        language = person_languages([person.pk]).get(str(person.pk), settings.LANGUAGE_CODE)
        subject, text, html = _mail(person, kinds, language)
        mail = mail_enqueue(
            to=person.email,
            subject=subject,
            text=text,
            html=html,
            kind=KIND,
            language=language,
            purpose=PURPOSE,
            about=(ABOUT, person.pk),
            person_id=person.pk,
            created_by=actor.recorded_user,
        )
        informed, version = informed_now(
            [{"person": person, "source": source, "mail_id": mail.pk} for source in sources],
            channel=InformationChannel.EMAIL,
            informed_by=actor.recorded_user,
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            object_type=OBJECT_TYPE,
            object_ids=[row.pk for row in informed],
            person_ids=[person.pk],
            purpose=PURPOSE,
            detail={
                "kinds": kinds,
                "channel": InformationChannel.EMAIL,
                "mail": str(mail.pk),
                "notice_version": version.number if version is not None else None,
                **({"first_communication": trigger} if trigger else {}),
            },
        )
    return informed


def informed_now(
    records: Iterable[dict[str, Any]], *, channel: str, informed_by=None
) -> tuple[list[SourceInformation], NoticeVersion | None]:
    """Write that each collection was told of now through `channel`, under the notice version
    in force: each record names the person and the source (instances or ids) and, for the
    register's mail, the mail. Returns the rows and that version. Call it under the lock of
    the persons whose collections these are."""
    version = version_in_force()
    now = timezone.now()
    rows = SourceInformation.objects.bulk_create(
        SourceInformation(
            **record,
            informed_on=timezone.localdate(now),
            informed_at=now,
            channel=channel,
            notice_version=version,
            informed_by=informed_by,
        )
        for record in records
    )
    return rows, version


def information_record(*, actor: Actor, person: Person, channel: str) -> list[SourceInformation]:
    """Record that the person was told of every collection not yet informed of by other means
    than the register's mail (by post, in person): for persons without an e-mail address."""
    if channel not in (InformationChannel.POST, InformationChannel.IN_PERSON):
        raise ServiceError(
            _("Choose post or in person (e-mail goes through information_send)."),
            code="information.channel",
            field="channel",
        )
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True).first()
        sources = list(_uninformed_sources([person.pk]).order_by("obtained_on"))
        if not sources:
            raise ServiceError(
                _("The person has been informed of every source."),
                code="information.nothing_due",
                field="person",
            )
        informed, version = informed_now(
            [{"person": person, "source": source} for source in sources],
            channel=channel,
            informed_by=actor.recorded_user,
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            object_type=OBJECT_TYPE,
            object_ids=[row.pk for row in informed],
            person_ids=[person.pk],
            purpose=PURPOSE,
            detail={"channel": channel, "notice_version": version.number if version is not None else None},
        )
    return informed


def information_send_due(*, actor: Actor, dry_run: bool = False, limit: int | None = None) -> SendReport:
    """Inform everyone due (the overdue first); persons without an address or under a
    restriction are left for the privacy officer and reported by id."""
    report = SendReport(dry_run=dry_run)
    due = information_due()
    if limit is not None:
        due = due[:limit]
    persons: dict[Any, Person] = {}
    for index, entry in enumerate(due):
        if index % BATCH == 0:  # the persons of the next batch, in one query
            persons = Person.objects.in_bulk([item.person_id for item in due[index : index + BATCH]])
        person = persons.get(entry.person_id)
        if person is None:
            continue
        if person.is_restricted:
            report.restricted.append(entry.person_id)
            continue
        if not person.email:
            report.no_address.append(entry.person_id)
            continue
        try:
            information_send(actor=actor, person=person, dry_run=dry_run)
        except ValidationError:
            continue  # informed meanwhile by another sender
        report.sent.append(entry.person_id)
    return report


# Art. 14(3): the worker informs everyone due once a day (REKISTERI_SOURCE_INFORMATION_AT), so
# nobody whose data came from someone else waits more than a day, far within the month.
_INFORM_LOCK_ID = 0x726B_6934  # "rki4": PostgreSQL advisory lock around the daily enqueue
TASK_ACTOR = "task:source_information"
SOON_DAYS = 7


def information_send_scheduled(*, today: date | None = None) -> SendReport:
    """The daily run: inform everyone due by mail, then record one audit event with the
    counts and the ids of those left for the privacy officer (no address, restricted) whose
    due date is within a week or past, the ones the page lists first."""
    today = today or timezone.localdate()
    actor = Actor.system(TASK_ACTOR, origin="task")
    report = information_send_due(actor=actor)
    left = set(report.no_address) | set(report.restricted)
    pressing = (
        [
            entry.person_id
            for entry in information_due(person_ids=left)
            if (entry.due_on - today).days <= SOON_DAYS
        ]
        if left
        else []
    )
    audit_record(
        actor=actor,
        action="inform_due",
        object_type=OBJECT_TYPE,
        person_ids=pressing,
        purpose=PURPOSE,
        detail={
            "sent": len(report.sent),
            "no_address": len(report.no_address),
            "restricted": len(report.restricted),
            "due_within_a_week_or_overdue": len(pressing),
        },
    )
    return report


@task()
def send_due_source_information() -> dict:
    """The daily Art. 14 run as a background task; the counts are the task's result."""
    report = information_send_scheduled()
    return {
        "sent": len(report.sent),
        "no_address": len(report.no_address),
        "restricted": len(report.restricted),
    }


def information_enqueue_if_due(now: datetime | None = None) -> bool:
    at = time.fromisoformat(settings.SOURCE_INFORMATION_AT)
    return once_a_day_enqueue(send_due_source_information, lock_id=_INFORM_LOCK_ID, now=now, at=at)
