"""Privacy's writes about one person: the legal basis of each purpose (section 3) and where
their data came from (section 5).

The person is reached through the personal-data registry's subject checks (restriction and
the marketing objection, declared by the people app), so privacy imports no app above it.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.errors import ServiceError, choose_one, too_long
from rekisteri.privacy.models import (
    DataSource,
    LegalBasis,
    LegitimateInterestGround,
    ProcessingBasis,
    Purpose,
    SourceKind,
)
from rekisteri.privacy.notice_gate import purpose_not_yet_in_notice
from rekisteri.privacy.registry import subject_checks

if TYPE_CHECKING:
    from rekisteri.people.models import Person


def basis_set(
    *,
    actor: Actor,
    person: Person,
    purpose: Purpose | str,
    basis: str,
    interest_ground: str = "",
    justification: str = "",
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> ProcessingBasis:
    """Record (or replace) the legal basis on which one purpose applies to a person.

    Refused while the person is restricted (Art. 18), and for direct marketing once the
    person has objected to it (Art. 21(3)).
    """
    subject_checks().processing(person)
    errors: dict[str, str] = {}
    if not isinstance(purpose, Purpose):
        found = Purpose.objects.filter(slug=purpose).first()
        if found is None:
            errors["purpose"] = ServiceError(_("Unknown purpose."), code="purpose.unknown")
        purpose = found
    if purpose is not None and not purpose.active:
        # Section 10: a purpose switched off in the configuration takes no new bases.
        errors["purpose"] = ServiceError(
            _("This purpose is switched off in the register's configuration."), code="purpose.inactive"
        )
        purpose = None
    if purpose is not None and purpose.slug == "direct_marketing":
        subject_checks().marketing(person)
    if purpose is not None:
        # Section 12: a purpose the notice in force does not state waits for its version.
        not_yet = purpose_not_yet_in_notice(purpose.slug)
        if not_yet:
            errors["purpose"] = not_yet
    if basis not in LegalBasis.values:
        errors["basis"] = choose_one(LegalBasis.values)
    if basis == LegalBasis.LEGITIMATE_INTEREST and interest_ground not in LegitimateInterestGround.values:
        # Section 3: a legitimate interest needs a concrete connection with the person.
        errors["interest_ground"] = ServiceError(
            _("A legitimate interest must name its connection with the person."), code="basis.interest_ground"
        )
    if basis != LegalBasis.LEGITIMATE_INTEREST:
        interest_ground = ""
    valid_from = valid_from or timezone.localdate()
    if valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = ServiceError(
            _("The end date cannot be before the start date."), code="basis.dates"
        )
    if errors:
        raise ValidationError(errors)
    fields = {
        "basis": basis,
        "interest_ground": interest_ground,
        "justification": justification.strip(),
        "valid_from": valid_from,
        "valid_until": valid_until,
        "recorded_at": timezone.now(),
        "recorded_by": actor.recorded_user,
    }
    with transaction.atomic():
        # Art. 7(1) and 7(3): a withdrawn consent stays as it was, the proof of what applied
        # until the withdrawal; a basis recorded after it is a new row (history, never an
        # overwrite). Only the basis still current (not withdrawn) is replaced.
        record = (
            ProcessingBasis.objects.select_for_update()
            .filter(person=person, purpose=purpose, withdrawn_at__isnull=True)
            .first()
        )
        created = record is None
        if record is None:
            record = ProcessingBasis.objects.create(person=person, purpose=purpose, **fields)
        else:
            for name, value in fields.items():
                setattr(record, name, value)
            record.save()
        audit_record(
            actor=actor,
            action="create" if created else "change",
            object_type="processing_basis",
            object_ids=[record.pk],
            person_ids=[person.pk],
            detail={"purpose": purpose.slug, "basis": basis},
        )
    return record


def basis_remove(*, actor: Actor, person: Person, purpose_slug: str) -> None:
    with transaction.atomic():
        records = list(ProcessingBasis.objects.filter(person=person, purpose__slug=purpose_slug))
        for record in records:
            record.delete()
        audit_record(
            actor=actor,
            action="delete",
            object_type="processing_basis",
            object_ids=[r.pk for r in records],
            person_ids=[person.pk],
            detail={"purpose": purpose_slug},
        )


def source_add(
    *,
    actor: Actor,
    person: Person,
    kind: str,
    detail: str = "",
    obtained_on: date | None = None,
    report_date: date | None = None,
) -> DataSource:
    """Record where a person's data came from (section 5). Refused while restricted (Art. 18).

    A Suomen Asiakastieto company check names the date of its report (`report_date`)."""
    subject_checks().processing(person)
    if kind not in SourceKind.values:
        raise ValidationError({"kind": choose_one(SourceKind.values)})
    if len(detail) > 300:
        raise ValidationError({"detail": too_long(300)})
    obtained_on = obtained_on or timezone.localdate()
    if kind == SourceKind.ASIAKASTIETO:
        if report_date is None:
            raise ServiceError(
                _("An Asiakastieto check names the date of its report."),
                code="data_source.report_date_required",
                field="report_date",
            )
        if report_date > obtained_on:
            raise ServiceError(
                _("The report cannot be dated after the data was obtained."),
                code="data_source.report_date_late",
                field="report_date",
            )
    elif report_date is not None:
        raise ServiceError(
            _("Only an Asiakastieto check has a report date."),
            code="data_source.report_date_not_allowed",
            field="report_date",
        )
    with transaction.atomic():
        source = DataSource.objects.create(
            person=person, kind=kind, detail=detail.strip(), obtained_on=obtained_on, report_date=report_date
        )
        audit_record(
            actor=actor,
            action="create",
            object_type="data_source",
            object_ids=[source.pk],
            person_ids=[person.pk],
            detail={"kind": kind},
        )
    return source
