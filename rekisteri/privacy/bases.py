"""Which legal bases are in force, and which purposes have lost theirs (section 3).

A basis is in force on a day when it has started, has not ended (valid_until) and was not
withdrawn (Art. 7(3)). A purpose whose bases have all ended has no basis for processing
any more: it is shown as ended, never as current, and flagged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q
from django.utils import timezone

from rekisteri.privacy.models import ProcessingBasis, Purpose


def in_force_q(today: date | None = None, prefix: str = "") -> Q:
    """A filter of ProcessingBasis rows in force `today` (`prefix` for a related lookup)."""
    today = today or timezone.localdate()
    return Q(**{f"{prefix}withdrawn_at__isnull": True, f"{prefix}valid_from__lte": today}) & (
        Q(**{f"{prefix}valid_until__isnull": True}) | Q(**{f"{prefix}valid_until__gte": today})
    )


def is_in_force(basis: ProcessingBasis, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    return (
        basis.withdrawn_at is None
        and basis.valid_from <= today
        and (basis.valid_until is None or basis.valid_until >= today)
    )


def has_ended(basis: ProcessingBasis, today: date | None = None) -> bool:
    """Withdrawn, or its last day is behind us (a basis yet to start has not ended)."""
    today = today or timezone.localdate()
    return basis.withdrawn_at is not None or (basis.valid_until is not None and basis.valid_until < today)


def ended_on(basis: ProcessingBasis) -> date | None:
    """The day the basis ended: its withdrawal, or else its last day of validity."""
    if basis.withdrawn_at is not None:
        return timezone.localdate(basis.withdrawn_at)
    return basis.valid_until


@dataclass
class EndedBasis:
    basis: ProcessingBasis
    on: date | None
    withdrawn: bool
    # No other basis of the same purpose is in force: processing for it has no basis now.
    unsupported: bool = False


@dataclass
class BasesOverview:
    """A person's bases sorted for the card: current ones apart from ended ones."""

    current: list[ProcessingBasis] = field(default_factory=list)
    ended: list[EndedBasis] = field(default_factory=list)
    # Purposes that had a basis but have none in force now: processing them is unsupported.
    unsupported: list[Purpose] = field(default_factory=list)

    @property
    def any_in_force(self) -> bool:
        return any(is_in_force(basis) for basis in self.current)


def bases_overview(bases: Iterable[ProcessingBasis], today: date | None = None) -> BasesOverview:
    """Split loaded bases (with their purposes) into current and ended, and flag purposes left
    without any basis in force."""
    today = today or timezone.localdate()
    overview = BasesOverview()
    by_purpose: dict[int, list[ProcessingBasis]] = {}
    for basis in bases:
        if has_ended(basis, today):
            overview.ended.append(EndedBasis(basis, ended_on(basis), basis.withdrawn_at is not None))
        else:
            overview.current.append(basis)
        by_purpose.setdefault(basis.purpose_id, []).append(basis)
    unsupported = set()
    for purpose_id, group in by_purpose.items():
        if all(has_ended(basis, today) for basis in group):
            unsupported.add(purpose_id)
            overview.unsupported.append(group[0].purpose)
    for item in overview.ended:
        item.unsupported = item.basis.purpose_id in unsupported
    overview.unsupported.sort(key=lambda purpose: (purpose.position, purpose.slug))
    return overview
