"""Writing organizations. Every write is audited in its own transaction."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.errors import ServiceError, choose_one, from_lib_error, unknown_field
from rekisteri.lib.normalize import NormalizationError, normalize_business_id
from rekisteri.organizations.models import Organization, RelationshipStatus
from rekisteri.privacy.models import GroupCompany

ORGANIZATION_FIELDS = (
    "name",
    "business_id",
    "business_id_country",
    "street_address",
    "postal_code",
    "city",
    "country",
    "status",
    "owner_company",
)


def _clean(data: dict[str, Any], *, instance: Organization | None = None) -> dict[str, Any]:
    """Validate and normalise organization fields; raises ValidationError keyed by field."""
    errors: dict[str, ValidationError] = {}
    cleaned = dict(data)
    if "name" in cleaned:
        cleaned["name"] = (cleaned["name"] or "").strip()
        if not cleaned["name"]:
            errors["name"] = ServiceError(
                _("Enter the organization's name."), code="organization.name_required"
            )
        elif len(cleaned["name"]) > 200:
            errors["name"] = ServiceError(
                _("The name can be at most 200 characters."), code="organization.name_too_long"
            )
    country = (
        cleaned.get("business_id_country") or (instance.business_id_country if instance else "FI") or "FI"
    )
    cleaned["business_id_country"] = country.strip().upper()
    if "business_id" in cleaned:
        raw = (cleaned["business_id"] or "").strip()
        if raw:
            try:
                cleaned["business_id"] = normalize_business_id(raw, cleaned["business_id_country"])
            except NormalizationError as exc:
                errors["business_id"] = from_lib_error(exc)
        else:
            cleaned["business_id"] = ""
    if "country" in cleaned:
        cleaned["country"] = (cleaned["country"] or "FI").strip().upper()
        if len(cleaned["country"]) != 2 or not cleaned["country"].isalpha():
            errors["country"] = ServiceError(
                _("The country must be a two-letter code such as FI."), code="organization.country"
            )
    if "status" in cleaned and cleaned["status"] not in RelationshipStatus.values:
        errors["status"] = choose_one(RelationshipStatus.values)
    if "owner_company" in cleaned:
        owner = cleaned["owner_company"]
        if not isinstance(owner, GroupCompany):
            owner = GroupCompany.objects.filter(pk=owner).first() if owner not in (None, "") else None
        if owner is None:
            errors["owner_company"] = ServiceError(
                _("Choose the group company that owns the relationship."), code="organization.owner_company"
            )
        cleaned["owner_company"] = owner
    for key in ("street_address", "postal_code", "city"):
        if key in cleaned:
            cleaned[key] = (cleaned[key] or "").strip()
    bid = cleaned.get("business_id")
    if bid and "business_id" not in errors:
        clash = Organization.objects.filter(
            business_id=bid, business_id_country=cleaned["business_id_country"]
        )
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            errors["business_id"] = ServiceError(
                _("Another organization already has this business ID."), code="organization.business_id_taken"
            )
    if errors:
        raise ValidationError(errors)
    return cleaned


def default_owner_company() -> GroupCompany | None:
    return GroupCompany.objects.filter(is_controller=True).first()


def organization_create(
    *, actor: Actor, responsible_staff: list | None = None, **fields: Any
) -> Organization:
    fields.setdefault("owner_company", default_owner_company())
    unknown = set(fields) - set(ORGANIZATION_FIELDS)
    if unknown:
        raise ValidationError({name: unknown_field() for name in unknown})
    if "name" not in fields:
        fields["name"] = ""
    cleaned = _clean(fields)
    cleaned.setdefault("status_changed_at", timezone.now())
    with transaction.atomic():
        organization = Organization.objects.create(**cleaned)
        if responsible_staff is not None:
            organization.responsible_staff.set(responsible_staff)
        audit_record(actor=actor, action="create", object_type="organization", object_ids=[organization.pk])
    return organization


def organization_update(
    *, actor: Actor, organization: Organization, responsible_staff: list | None = None, **fields: Any
) -> Organization:
    unknown = set(fields) - set(ORGANIZATION_FIELDS)
    if unknown:
        raise ValidationError({name: unknown_field() for name in unknown})
    cleaned = _clean(fields, instance=organization)
    if "business_id_country" not in fields:
        cleaned.pop("business_id_country")
    changed = [name for name, value in cleaned.items() if getattr(organization, name) != value]
    with transaction.atomic():
        for name in changed:
            setattr(organization, name, cleaned[name])
        if "status" in changed:
            organization.status_changed_at = timezone.now()
        if responsible_staff is not None:
            before = set(organization.responsible_staff.values_list("pk", flat=True))
            organization.responsible_staff.set(responsible_staff)
            if before != {user.pk for user in responsible_staff}:
                changed.append("responsible_staff")
        organization.updated_at = timezone.now()
        organization.save()
        audit_record(
            actor=actor,
            action="change",
            object_type="organization",
            object_ids=[organization.pk],
            detail={"fields": sorted(changed)},
        )
    return organization


def organization_delete(*, actor: Actor, organization: Organization) -> None:
    """Delete an organization; its people stay, without an organization."""
    with transaction.atomic():
        pk = organization.pk
        organization.delete()
        audit_record(actor=actor, action="delete", object_type="organization", object_ids=[pk])
