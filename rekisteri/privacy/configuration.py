"""Writes of the privacy configuration the notice states: purposes (section 2), group
companies and the recipients register (section 6).

Each is one transaction with its audit event (codes and field names only), and each tells
the notice that its configuration changed (notice_gate.notice_configuration_changed), so the
notice draft follows in the same transaction. The controller itself is edited through the
notice (rekisteri.notice.services.controller_update).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import Action, audit_record
from rekisteri.errors import ServiceError, from_lib_error
from rekisteri.lib.normalize import NormalizationError, normalize_business_id
from rekisteri.privacy.models import Disclosure, GroupCompany, ProcessingBasis, Purpose, Recipient
from rekisteri.privacy.notice_gate import notice_configuration_changed

# "active": section 10, a purpose switched off takes no new processing (rekisteri.privacy.purposes).
PURPOSE_FIELDS = ("name_fi", "name_en", "description_fi", "description_en", "position", "active")
RECIPIENT_FIELDS = (
    "name",
    "service_fi",
    "service_en",
    "data_location",
    "dpa_signed_on",
    "review_on",
    "active",
    "position",
)
# What a group company's row in the recipients register says (as migration 0009 seeded it).
GROUP_SERVICE = {
    "fi": "Konsernin sisäinen hallinnollinen käsittely (oikeutettu etu)",
    "en": "Internal administrative processing in the group (legitimate interest)",
}


def _configuration_changed(actor: Actor, action: str, object_type: str, pk: Any, **detail: Any) -> None:
    """Audit a change of the notice's configuration ("<type>_created|changed|deleted") and let
    the notice's draft follow in the same transaction (section 12)."""
    event = {Action.CREATE: "created", Action.CHANGE: "changed", Action.DELETE: "deleted"}[action]
    audit_record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_ids=[pk],
        detail={"event": f"{object_type}_{event}", **detail},
    )
    notice_configuration_changed(actor=actor, reason=object_type)


def _unknown(fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError(
            {
                name: ServiceError(
                    _("Not a field that can be changed here."), code="configuration.field_fixed"
                )
                for name in sorted(unknown)
            }
        )


def _changed(instance, fields: dict[str, Any]) -> list[str]:
    return sorted(name for name, value in fields.items() if getattr(instance, name) != value)


# --- purposes (section 2) -------------------------------------------------------------------


@transaction.atomic
def purpose_create(
    *,
    actor: Actor,
    slug: str,
    name_fi: str,
    name_en: str,
    description_fi: str = "",
    description_en: str = "",
    position: int = 0,
) -> Purpose:
    """A new purpose of processing. The notice states it in its next version, and no legal
    basis may be recorded for it before that version takes effect (section 12)."""
    if Purpose.objects.filter(slug=slug).exists():
        raise ServiceError(
            _("A purpose with this code exists already."), code="purpose.slug_taken", field="slug"
        )
    purpose = Purpose(
        slug=slug,
        name_fi=name_fi.strip(),
        name_en=name_en.strip(),
        description_fi=description_fi.strip(),
        description_en=description_en.strip(),
        position=position,
    )
    purpose.full_clean()
    purpose.save()
    _configuration_changed(actor, Action.CREATE, "purpose", purpose.pk, slug=purpose.slug)
    return purpose


@transaction.atomic
def purpose_update(*, actor: Actor, purpose: Purpose, **fields: Any) -> Purpose:
    """Change a purpose's names, description, order or whether it is in use (`active`). Its
    code stays: rules and code name it."""
    _unknown(fields, PURPOSE_FIELDS)
    purpose = Purpose.objects.select_for_update().get(pk=purpose.pk)
    changed = _changed(purpose, fields)
    if not changed:
        return purpose
    for name in changed:
        setattr(purpose, name, fields[name])
    purpose.full_clean()
    purpose.save()
    _configuration_changed(actor, Action.CHANGE, "purpose", purpose.pk, slug=purpose.slug, fields=changed)
    return purpose


@transaction.atomic
def purpose_delete(*, actor: Actor, purpose: Purpose) -> None:
    """Remove a purpose nobody's data is processed for any more (no basis, no retention rule)."""
    purpose = Purpose.objects.select_for_update().get(pk=purpose.pk)
    if ProcessingBasis.objects.filter(purpose=purpose).exists():
        raise ServiceError(
            _("Legal bases are recorded for this purpose: it cannot be removed."),
            code="purpose.has_bases",
            field="purpose",
        )
    if purpose.retention_rules.exists():
        raise ServiceError(
            _("A retention rule names this purpose: it cannot be removed."),
            code="purpose.has_rule",
            field="purpose",
        )
    pk, slug = purpose.pk, purpose.slug
    purpose.delete()
    _configuration_changed(actor, Action.DELETE, "purpose", pk, slug=slug)


# --- group companies (section 6) ------------------------------------------------------------


def _business_id(value: str) -> str:
    if not value.strip():
        return ""
    try:
        return normalize_business_id(value)
    except NormalizationError as exc:
        raise ValidationError({"business_id": from_lib_error(exc)}) from None


@transaction.atomic
def group_company_create(*, actor: Actor, name: str, business_id: str = "") -> GroupCompany:
    """A company of the controller's group (a recipient, section 6), with its row in the
    recipients register."""
    name = name.strip()
    if not name:
        raise ServiceError(_("Name the company."), code="group_company.name_required", field="name")
    if GroupCompany.objects.filter(name=name).exists() or Recipient.objects.filter(name=name).exists():
        raise ServiceError(
            _("A group company or recipient already has this name."),
            code="group_company.name_taken",
            field="name",
        )
    company = GroupCompany(name=name, business_id=_business_id(business_id))
    company.full_clean()
    company.save()
    Recipient.objects.create(
        kind=Recipient.Kind.GROUP_COMPANY,
        name=name,
        group_company=company,
        service_fi=GROUP_SERVICE["fi"],
        service_en=GROUP_SERVICE["en"],
        data_location="EU/ETA",
        position=GroupCompany.objects.count(),
    )
    _configuration_changed(actor, Action.CREATE, "group_company", company.pk)
    return company


@transaction.atomic
def group_company_update(
    *, actor: Actor, company: GroupCompany, name: str | None = None, business_id: str | None = None
) -> GroupCompany:
    """Rename a group company or correct its business ID (the controller's own details are
    the notice's: controller_update)."""
    company = GroupCompany.objects.select_for_update().get(pk=company.pk)
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = name.strip()
        if not values["name"]:
            raise ServiceError(_("Name the company."), code="group_company.name_required", field="name")
        if GroupCompany.objects.filter(name=values["name"]).exclude(pk=company.pk).exists():
            raise ServiceError(
                _("Another group company already has this name."),
                code="group_company.name_taken_by_other",
                field="name",
            )
    if business_id is not None:
        values["business_id"] = _business_id(business_id)
    changed = _changed(company, values)
    if not changed:
        return company
    for field in changed:
        setattr(company, field, values[field])
    company.full_clean()
    company.save()
    if "name" in changed:
        Recipient.objects.filter(group_company=company).update(name=company.name)
    _configuration_changed(actor, Action.CHANGE, "group_company", company.pk, fields=changed)
    return company


@transaction.atomic
def group_company_delete(*, actor: Actor, company: GroupCompany) -> None:
    """Remove a company that left the group. The controller stays; a company that received
    data stays too (the disclosure record names it for Art. 19)."""
    company = GroupCompany.objects.select_for_update().get(pk=company.pk)
    if company.is_controller:
        raise ServiceError(
            _("The controller cannot be removed from the notice."),
            code="group_company.controller",
            field="company",
        )
    if Disclosure.objects.filter(recipient_company=company).exists():
        raise ServiceError(
            _("Data has been disclosed to this company (Art. 19 needs the record): it stays."),
            code="group_company.disclosed",
            field="company",
        )
    pk = company.pk
    company.delete()  # its recipients-register row goes with it (on_delete=CASCADE)
    _configuration_changed(actor, Action.DELETE, "group_company", pk)


# --- the recipients register (section 6) ----------------------------------------------------


@transaction.atomic
def recipient_create(
    *,
    actor: Actor,
    kind: str,
    name: str,
    service_fi: str,
    service_en: str,
    data_location: str = "",
    dpa_signed_on: date | None = None,
    review_on: date | None = None,
    position: int = 0,
) -> Recipient:
    """A processor (Art. 28) or an authority the register's data goes to. Group companies
    enter through group_company_create. No data goes to a new processor before the notice
    version that states it takes effect (section 12)."""
    if kind not in (Recipient.Kind.PROCESSOR, Recipient.Kind.AUTHORITY):
        raise ServiceError(
            _("A processor or an authority; a group company is added as one."),
            code="recipient.kind",
            field="kind",
        )
    recipient = Recipient(
        kind=kind,
        name=name.strip(),
        service_fi=service_fi.strip(),
        service_en=service_en.strip(),
        data_location=data_location.strip(),
        dpa_signed_on=dpa_signed_on,
        review_on=review_on,
        position=position,
    )
    recipient.full_clean()
    recipient.save()
    _configuration_changed(actor, Action.CREATE, "recipient", recipient.pk, kind=kind)
    return recipient


@transaction.atomic
def recipient_update(*, actor: Actor, recipient: Recipient, **fields: Any) -> Recipient:
    """Change a recipient's service, location, agreement dates, order, or switch it off
    (active=False: no more data goes to it; the notice stops naming it)."""
    _unknown(fields, RECIPIENT_FIELDS)
    recipient = Recipient.objects.select_for_update().get(pk=recipient.pk)
    if recipient.group_company_id is not None and "name" in fields:
        raise ServiceError(
            _("A group company is renamed as a group company."),
            code="recipient.rename_group_company",
            field="name",
        )
    changed = _changed(recipient, fields)
    if not changed:
        return recipient
    for name in changed:
        setattr(recipient, name, fields[name])
    recipient.full_clean()
    recipient.save()
    _configuration_changed(actor, Action.CHANGE, "recipient", recipient.pk, fields=changed)
    return recipient


@transaction.atomic
def recipient_delete(*, actor: Actor, recipient: Recipient) -> None:
    """Remove a recipient entered by mistake; one that received data is switched off instead
    (its Art. 19 notifications keep its name)."""
    recipient = Recipient.objects.select_for_update().get(pk=recipient.pk)
    if recipient.group_company_id is not None:
        raise ServiceError(
            _("A group company is removed as a group company."),
            code="recipient.remove_group_company",
            field="recipient",
        )
    if Disclosure.objects.filter(Q(recipient_record=recipient) | Q(recipient_name=recipient.name)).exists():
        raise ServiceError(
            _("Data has been disclosed to this recipient: switch it off instead."),
            code="recipient.disclosed",
            field="recipient",
        )
    pk = recipient.pk
    recipient.delete()
    _configuration_changed(actor, Action.DELETE, "recipient", pk)
