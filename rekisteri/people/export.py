"""Exporting a person list or search result as CSV or XLSX: a disclosure (section 6).

An export hands personal data to a recipient outside the register, so it is recorded as a
disclosure of every exported person (rekisteri.privacy.disclosure, Art. 19: a later
rectification or erasure names the recipient) with one audit event that names the
persons, the purpose and the recipient by id. Exports are bounded (EXPORT_MAX_ROWS) and
leave out restricted persons (Art. 18); an export for direct marketing also leaves out
those who objected (Art. 21(3)) and those without a basis for it in force.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rekisteri.audit.actor import Actor
from rekisteri.errors import ServiceError, choose_one
from rekisteri.people.filters import PersonFilters
from rekisteri.people.models import Person
from rekisteri.people.selectors import persons_for_export
from rekisteri.privacy.disclosure import disclosure_record_many
from rekisteri.privacy.models import GroupCompany, Purpose

# An export is a file someone downloads and keeps: more than this many persons at once is
# a bulk transfer, not a list, and is refused (narrow the list instead).
EXPORT_MAX_ROWS = 5_000
FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Section 4 categories of the columns below (the disclosure record names them).
EXPORTED_CATEGORIES = ("name", "email", "phone", "company_and_position", "relationship")
DIRECT_MARKETING = "direct_marketing"  # Purpose.slug
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    filename: str
    rows: int


def _columns() -> list[tuple[str, str]]:
    return [
        ("last_name", _("Last name")),
        ("first_name", _("First name")),
        ("email", _("E-mail")),
        ("phone", _("Phone")),
        ("organization", _("Organization")),
        ("title", _("Position")),
        ("categories", _("Categories")),
        ("id", _("Person ID")),
    ]


def _values(person: Person) -> dict[str, str]:
    return {
        "last_name": person.last_name,
        "first_name": person.first_name,
        "email": person.email,
        "phone": person.phone,
        "organization": person.organization.name if person.organization_id else "",
        "title": person.title,
        "categories": ", ".join(str(c.get_category_display()) for c in person.categories.all()),
        "id": str(person.pk),
    }


def csv_safe(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading apostrophe before a formula character.

    OWASP's rule for CSV injection. It also marks phone numbers (+358...): the apostrophe
    is the price of a CSV that cannot run anything when opened; XLSX cells are typed text.
    """
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    # Semicolons and a byte-order mark: what Excel in a Finnish locale opens correctly.
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([csv_safe(cell) for cell in header])
    writer.writerows([csv_safe(cell) for cell in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(header: list[str], rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("People"))

    def text(value: str) -> WriteOnlyCell:
        # openpyxl would store a value starting with "=" as a formula: every cell is text.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell

    sheet.append([text(cell) for cell in header])
    for row in rows:
        sheet.append([text(cell) for cell in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _recipient(recipient_company_id: int | None) -> GroupCompany | None:
    if recipient_company_id in (None, ""):
        return None
    company = GroupCompany.objects.filter(pk=recipient_company_id).first()
    if company is None:
        raise ServiceError(
            gettext_lazy("No such group company."), code="group_company.unknown", field="recipient_company_id"
        )
    return company


def person_export(
    *,
    actor: Actor,
    format: str,
    purpose: str,
    filters: PersonFilters | None = None,
    query: str = "",
    sort: str = "name",
    recipient_company_id: int | None = None,
    recipient_name: str = "",
) -> ExportFile:
    """The persons of a list or search result as a CSV or XLSX file, recorded as disclosed.

    `purpose` is a Purpose slug (section 2); the recipient is a group company (by id) or a
    processor named in the notice (section 6). ValidationError names the field at fault;
    ListTooBroad (a ValidationError) when more than EXPORT_MAX_ROWS persons match.
    """
    errors: dict[str, ValidationError] = {}
    if format not in FORMATS:
        errors["format"] = choose_one(FORMATS)
    if not Purpose.objects.filter(slug=purpose, active=True).exists():
        errors["purpose"] = ServiceError(gettext_lazy("Unknown purpose."), code="purpose.unknown")
    try:
        company = _recipient(recipient_company_id)
    except ValidationError as exc:
        errors.update({key: ValidationError(found) for key, found in exc.error_dict.items()})
        company = None
    recipient_name = (recipient_name or "").strip()
    if company is None and not recipient_name and "recipient_company_id" not in errors:
        errors["recipient"] = ServiceError(
            gettext_lazy("Name the recipient: a group company or a processor."),
            code="disclosure.no_recipient",
        )
    elif company is not None and recipient_name:
        errors["recipient"] = ServiceError(
            gettext_lazy("Name one recipient: a group company or a processor, not both."),
            code="disclosure.two_recipients",
        )
    if errors:
        raise ValidationError(errors)
    persons = persons_for_export(
        actor=actor,
        filters=filters,
        query=query,
        sort=sort,
        limit=EXPORT_MAX_ROWS,
        for_marketing=purpose == DIRECT_MARKETING,
    )
    if not persons:
        raise ServiceError(gettext_lazy("There is nobody to export on this list."), code="export.empty")
    _prefetch_categories(persons)
    columns = _columns()
    rows = [[values[name] for name, _label in columns] for values in map(_values, persons)]
    header = [label for _name, label in columns]
    content = _csv(header, rows) if format == "csv" else _xlsx(header, rows)
    person_ids = [person.pk for person in persons]
    with transaction.atomic():
        disclosure_record_many(
            actor=actor,
            person_ids=person_ids,
            categories=EXPORTED_CATEGORIES,
            purpose=purpose,
            recipient_company=company,
            recipient_name=recipient_name,
            action="export",
            detail=_export_detail(format, len(persons), filters, query, sort),
        )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return ExportFile(content, CONTENT_TYPES[format], f"henkilot-{stamp}.{format}", len(persons))


def _prefetch_categories(persons: list[Person]) -> None:
    from django.db.models import prefetch_related_objects

    prefetch_related_objects(persons, "categories")


def _export_detail(
    format: str, rows: int, filters: PersonFilters | None, query: str, sort: str
) -> dict[str, Any]:
    # Names of what shaped the list, never a search term (personal data).
    return {
        "format": format,
        "rows": rows,
        "columns": [name for name, _label in _columns()],
        "filters": filters.used() if filters else [],
        "searched": bool(query.strip()),
        "sort": sort,
    }
