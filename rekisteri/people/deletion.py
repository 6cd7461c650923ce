"""What stands in the way of deleting a person (Art. 17(3)), for every path that deletes.

A staff deletion (UI, API DELETE) honours the same obligations as an erasure request: a
contract or a legal obligation in force, and whatever the apps above people report through
a guard they install here (the retention app's legal holds). The privacy officer may
override with reasons; everyone else is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.errors import ServiceError
from rekisteri.privacy.bases import in_force_q
from rekisteri.privacy.models import LegalBasis, ProcessingBasis

OVERRIDE_PERMISSION = "people.override_deletion"

# name -> function(person_id) returning the obstacles it knows of, as short non-personal texts.
_guards: dict[str, Callable[[UUID | str], list[str]]] = {}


def deletion_guard_install(name: str, guard: Callable[[UUID | str], list[str]]) -> None:
    _guards[name] = guard


def deletion_obstacles(person_id: UUID | str) -> list[str]:
    """Why the person may not be deleted today: bases that oblige keeping, holds; [] if none."""
    today = timezone.localdate()
    obstacles = [
        f"{basis.purpose.slug}: {basis.basis}"
        for basis in ProcessingBasis.objects.filter(in_force_q(today), person_id=person_id)
        .filter(basis__in=(LegalBasis.CONTRACT, LegalBasis.LEGAL_OBLIGATION))
        .select_related("purpose")
    ]
    for guard in _guards.values():
        obstacles.extend(guard(person_id))
    return obstacles


class DeletionRefused(ValidationError):
    """Art. 17(3): the register must keep the person; only the privacy officer may override."""

    def __init__(self, obstacles: list[str]):
        self.obstacles = obstacles
        message = _(
            "The person may not be deleted while the register must keep their data "
            "(GDPR Art. 17(3)): %(obstacles)s. The privacy officer may override with reasons."
        )
        error = ServiceError(
            message, code="person.obligation_to_keep", params={"obstacles": "; ".join(obstacles)}
        )
        super().__init__({"override_reason": error})


def deletion_check(*, actor, person_id: UUID | str, override_reason: str) -> list[str]:
    """Raise DeletionRefused unless nothing obliges keeping the person, or the privacy officer
    overrides with reasons. Returns the obstacles overridden ([] when there were none)."""
    obstacles = deletion_obstacles(person_id)
    if not obstacles:
        return []
    user = actor.user
    may_override = user is not None and user.has_perm(OVERRIDE_PERMISSION)
    if not may_override or not (override_reason or "").strip():
        raise DeletionRefused(obstacles)
    return obstacles
