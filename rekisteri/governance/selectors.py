"""Reading the instructions and who acknowledged them; the access review from the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from rekisteri.audit.models import AuditSubject
from rekisteri.db.compiled_query import CompiledQuery
from rekisteri.governance.models import AccessReview, InstructionAcknowledgement, StaffInstruction


def current_instruction() -> StaffInstruction | None:
    return StaffInstruction.objects.order_by("-version").first()


def instructions_pending(user) -> bool:
    """Has `user` yet to acknowledge the current version? (False when none is published.)"""
    if user is None or not user.is_authenticated:
        return False
    return any(not newest.ok for newest in _NEWEST_WITH_ACKNOWLEDGEMENT.run([user.pk]))


# One query on every gated request: the newest version, and whether this member acknowledged
# it; compiled once (rekisteri.db.compiled_query).
def _newest_with_acknowledgement(ids):
    mine = InstructionAcknowledgement.objects.filter(user_id=ids[0], instruction=OuterRef("pk"))
    return StaffInstruction.objects.only("pk").order_by("-version").annotate(ok=Exists(mine))[:1]


_NEWEST_WITH_ACKNOWLEDGEMENT = CompiledQuery(
    _newest_with_acknowledgement,
    field=InstructionAcknowledgement._meta.get_field("user").target_field,
    samples=lambda count: [2_147_483_000 + number for number in range(1, count + 1)],
)


def acknowledged_versions(user_ids) -> dict[int, int]:
    """The newest version each member acknowledged."""
    latest: dict[int, int] = {}
    rows = InstructionAcknowledgement.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "instruction__version"
    )
    for user_id, version in rows:
        latest[user_id] = max(version, latest.get(user_id, 0))
    return latest


# --- The access review (section 11: "reviews its processing at regular intervals") ----------

# Events that are reads of personal data (the trail names the persons read).
READ_ACTIONS = ("view", "search", "list", "export")
INACTIVE_DAYS = 90
REVIEW_EVERY_DAYS = 91
# A member reading more distinct persons than this many times their role's median (and at
# least UNUSUAL_FLOOR) is flagged for a closer look.
UNUSUAL_FACTOR = 3
UNUSUAL_FLOOR = 50


@dataclass
class MemberReview:
    user: Any
    role: str
    reads: int = 0
    persons: int = 0
    last_login: datetime | None = None
    nda_signed_on: date | None = None
    acknowledged_version: int | None = None
    inactive: bool = False
    missing_nda: bool = False
    missing_acknowledgement: bool = False
    unusual: bool = False
    norm: float = 0.0

    @property
    def flags(self) -> list[str]:
        return [
            name
            for name, flagged in (
                ("inactive", self.inactive),
                ("missing_nda", self.missing_nda),
                ("missing_acknowledgement", self.missing_acknowledgement),
                ("unusual", self.unusual),
            )
            if flagged
        ]


def access_review(*, days: int = INACTIVE_DAYS, now: datetime | None = None) -> list[MemberReview]:
    """Every active staff member with their reads of personal data in the last `days` days
    (events, distinct persons), last login, NDA, acknowledged instructions and the flags."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    members = list(
        get_user_model()
        .objects.filter(is_active=True, staff_profile__isnull=False)
        .select_related("staff_profile")
        .order_by("last_name", "first_name", "username")
    )
    counts = {
        row["event__actor_user_id"]: row
        for row in AuditSubject.objects.filter(
            event__at__gte=since, event__action__in=READ_ACTIONS, event__actor_user_id__isnull=False
        )
        .values("event__actor_user_id")
        .annotate(reads=Count("event", distinct=True), persons=Count("person_id", distinct=True))
    }
    current = current_instruction()
    acknowledged = acknowledged_versions([m.pk for m in members])
    reviews = []
    for member in members:
        row = counts.get(member.pk, {})
        profile = member.staff_profile
        reviews.append(
            MemberReview(
                user=member,
                role=profile.role,
                reads=row.get("reads", 0),
                persons=row.get("persons", 0),
                last_login=member.last_login,
                nda_signed_on=profile.nda_signed_on,
                acknowledged_version=acknowledged.get(member.pk),
                inactive=member.last_login is None or member.last_login < now - timedelta(days=INACTIVE_DAYS),
                missing_nda=profile.nda_signed_on is None,
                missing_acknowledgement=current is not None
                and acknowledged.get(member.pk) != current.version,
            )
        )
    _flag_unusual(reviews)
    return reviews


def _flag_unusual(reviews: list[MemberReview]) -> None:
    everyone = [review.persons for review in reviews]
    for review in reviews:
        peers = [other.persons for other in reviews if other.role == review.role]
        # A role of one or two has no norm of its own: compare with all staff.
        review.norm = float(median(peers if len(peers) >= 3 else everyone or [0]))
        review.unusual = review.persons >= UNUSUAL_FLOOR and review.persons > UNUSUAL_FACTOR * review.norm


def persons_read_by(
    *, user_id: int, days: int = INACTIVE_DAYS, now: datetime | None = None, limit: int = 500
):
    """(person id, reads) for the persons a member read in the period, most read first."""
    since = (now or timezone.now()) - timedelta(days=days)
    return list(
        AuditSubject.objects.filter(
            event__at__gte=since, event__action__in=READ_ACTIONS, event__actor_user_id=user_id
        )
        .values_list("person_id")
        .annotate(reads=Count("event", distinct=True))
        .order_by("-reads", "person_id")[:limit]
    )


def last_access_review() -> AccessReview | None:
    return AccessReview.objects.order_by("-reviewed_at").first()


def access_review_due(*, now: datetime | None = None) -> date:
    """When the next quarterly review is due (today when none was ever done)."""
    last = last_access_review()
    today = timezone.localdate(now) if now else timezone.localdate()
    if last is None:
        return today
    return timezone.localdate(last.reviewed_at) + timedelta(days=REVIEW_EVERY_DAYS)
