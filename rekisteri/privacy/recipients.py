"""The recipients register (section 6) and Art. 19 notifications to recipients.

`recipients_of_kind` feeds the Art. 15 information and the record of processing; a
rectification, erasure or restriction calls `recipient_notifications_create`, which makes a
task per recipient that received the person's data (from the disclosure log), due within a
month ("without undue delay"), closed by `recipient_notification_complete`.
"""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.errors import ServiceError
from rekisteri.lib.deadlines import add_months
from rekisteri.privacy.disclosure import disclosure_recipients
from rekisteri.privacy.models import Disclosure, Recipient, RecipientNotification

PURPOSE = "rights_and_obligations"


def recipients_of_kind(kind: str) -> list[Recipient]:
    return list(Recipient.objects.filter(kind=kind, active=True))


def recipient_notifications_create(
    *, actor: Actor, person_id: UUID | str, event: str, request_ref: str = ""
) -> list[RecipientNotification]:
    """Art. 19: one open task per recipient of the person's data; call before an erasure
    (the disclosure log goes with the person). Returns the tasks ([] without recipients)."""
    if event not in RecipientNotification.Event.values:
        raise ValueError(f"unknown event {event!r}")
    recipients = disclosure_recipients(person_id)
    if not recipients:
        return []
    # The register's entry each disclosure named; recipients disclosed to by name only (before
    # the register, or outside it) are matched by name.
    linked = Recipient.objects.in_bulk([item["recipient_id"] for item in recipients if item["recipient_id"]])
    known = {r.name: r for r in Recipient.objects.filter(name__in=[item["recipient"] for item in recipients])}
    due = add_months(timezone.localdate(), 1)
    with transaction.atomic():
        tasks = RecipientNotification.objects.bulk_create(
            [
                RecipientNotification(
                    person_id=person_id,
                    recipient_name=item["recipient"][:200],
                    recipient=linked.get(item["recipient_id"]) or known.get(item["recipient"]),
                    event=event,
                    request_ref=request_ref[:100],
                    categories=item["categories"],
                    due_on=due,
                )
                for item in recipients
            ]
        )
        audit_record(
            actor=actor,
            action="create",
            object_type="recipient_notification",
            object_ids=[task.pk for task in tasks],
            person_ids=[person_id],
            purpose=PURPOSE,
            detail={"event": event, "recipients": len(tasks)},
        )
    return tasks


def recipient_notifications_create_many(*, actor: Actor, person_ids, event: str) -> int:
    """recipient_notifications_create for a batch (the retention sweep's erasures): the
    disclosure log of every person read in one query, the tasks written in one statement,
    one audit event naming the tasks and the persons. Call before the erasure, as for one
    person. Returns the number of tasks."""
    if event not in RecipientNotification.Event.values:
        raise ValueError(f"unknown event {event!r}")
    ids = [str(pid) for pid in person_ids]
    if not ids:
        return 0
    # (person, recipient) -> categories, as disclosure_recipients groups one person's log.
    received: dict[tuple[str, str], set] = {}
    rows = Disclosure.objects.filter(person_id__in=ids).select_related("recipient_company")
    for row in rows.order_by("disclosed_at").iterator(chunk_size=2000):
        received.setdefault((str(row.person_id), row.recipient), set()).update(row.categories)
    if not received:
        return 0
    names = {name for _, name in received}
    known = {r.name: r for r in Recipient.objects.filter(name__in=names)}
    due = add_months(timezone.localdate(), 1)
    with transaction.atomic():
        tasks = RecipientNotification.objects.bulk_create(
            [
                RecipientNotification(
                    person_id=person_id,
                    recipient_name=name[:200],
                    recipient=known.get(name),
                    event=event,
                    categories=sorted(categories),
                    due_on=due,
                )
                for (person_id, name), categories in received.items()
            ],
            batch_size=1000,
        )
        audit_record(
            actor=actor,
            action="create",
            object_type="recipient_notification",
            object_ids=[task.pk for task in tasks],
            person_ids=sorted({person_id for person_id, _ in received}),
            purpose=PURPOSE,
            detail={"event": event, "recipients": len(tasks), "persons": len({p for p, _ in received})},
        )
    return len(tasks)


def recipient_notification_complete(
    *, actor: Actor, notification: RecipientNotification
) -> RecipientNotification:
    """Record that the recipient was told (Art. 19)."""
    with transaction.atomic():
        notification = RecipientNotification.objects.select_for_update().get(pk=notification.pk)
        if notification.completed_at is not None:
            raise ServiceError(
                _("The recipient was already notified."),
                code="recipient_notification.done",
                field="notification",
            )
        notification.completed_at = timezone.now()
        notification.completed_by = actor.recorded_user
        notification.save(update_fields=["completed_at", "completed_by"])
        audit_record(
            actor=actor,
            action="complete",
            object_type="recipient_notification",
            object_ids=[notification.pk],
            purpose=PURPOSE,
            detail={"event": notification.event},
        )
    return notification


def notifications_open():
    return RecipientNotification.objects.filter(completed_at=None)
