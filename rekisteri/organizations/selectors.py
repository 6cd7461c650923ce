"""Reading organizations, audited like every other read of the register."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.lib.normalize import NormalizationError, normalize_business_id
from rekisteri.organizations.models import Organization

MAX_PAGE_SIZE = 200


@dataclass
class OrganizationPage:
    results: list[Organization]
    total: int
    limit: int
    offset: int


def _organization_queryset(query: str) -> QuerySet[Organization]:
    """Organizations whose name starts with the query, or whose Finnish business ID it is."""
    base = Organization.objects.prefetch_related("responsible_staff")
    query = " ".join(query.split())
    if not query:
        return base
    condition = Q(name__istartswith=query)
    try:
        condition |= Q(business_id_country="FI", business_id=normalize_business_id(query, "FI"))
    except NormalizationError:
        pass
    return base.filter(condition)


def organization_list(
    *,
    actor: Actor,
    query: str = "",
    limit: int = 50,
    offset: int = 0,
    purpose: str = "",
    responsible=None,
) -> OrganizationPage:
    """A page of organizations by name; the audit event lists the ids shown, never the query.

    `responsible`: only the organizations this staff member is responsible for (section 4,
    "rekisterinpitäjän vastuuhenkilöt"): a salesperson's own customers.
    """
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(0, offset)
    queryset = _organization_queryset(query)
    if responsible is not None:
        queryset = queryset.filter(responsible_staff=responsible)
    total = queryset.count()
    results = list(queryset.order_by("name", "id")[offset : offset + limit])
    audit_record(
        actor=actor,
        action="search" if query.strip() else "list",
        object_type="organization",
        object_ids=[o.pk for o in results],
        purpose=purpose,
        detail={
            "results": len(results),
            "total": total,
            **({"mine": True} if responsible is not None else {}),
        },
    )
    return OrganizationPage(results=results, total=total, limit=limit, offset=offset)


def organization_get(*, actor: Actor, organization_id: int, purpose: str = "") -> Organization | None:
    """One organization, or None. Audited as a view."""
    organization = (
        Organization.objects.select_related("owner_company")
        .prefetch_related("responsible_staff")
        .filter(pk=organization_id)
        .first()
    )
    if organization is not None:
        audit_record(
            actor=actor,
            action="view",
            object_type="organization",
            object_ids=[organization.pk],
            purpose=purpose,
        )
    return organization
