"""The Art. 15 access package and the Art. 20 portability export, and the stored answers.

Both are built from the personal-data registry, so a model declared there is in every
package without any change here. At fulfilment the package is built once and stored
(RequestAnswer, encrypted under the request's own key): the download link then hands out
exactly the answer given that day, and the register keeps what it answered.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import FieldDoesNotExist
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.keystore.services import cipher_for, key_scope
from rekisteri.people.models import Person
from rekisteri.privacy.disclosure import disclosure_recipients
from rekisteri.privacy.models import LegalBasis, ProcessingBasis, Purpose
from rekisteri.privacy.registry import entry_for, personal_data_models
from rekisteri.rights.fulfilment import information
from rekisteri.rights.fulfilment.common import NotApplicable, active_bases, audit
from rekisteri.rights.models import AnswerKind, DataSubjectRequest, RequestAnswer

ACCESS_FORMAT = "rekisteri-access-package/1"
PORTABILITY_FORMAT = "rekisteri-portability-export/1"
# Art. 20(1)(a): portability covers processing based on consent or on a contract.
PORTABLE_BASES = (LegalBasis.CONSENT, LegalBasis.CONTRACT)

SECTION_TITLES = {
    "people.Person": _("Your details"),
    "people.PersonCategory": _("Your groups in the register"),
    "privacy.ProcessingBasis": _("Purposes and legal bases"),
    "privacy.DataSource": _("Sources of the data"),
    "contacts.Interaction": _("Contact history"),
    "contacts.TrackingEvent": _("Tracking data"),
    "privacy.Disclosure": _("Disclosures to recipients"),
    "privacy.Rectification": _("Corrections made at your request"),
    "training.Enrollment": _("Your courses"),
    "training.Result": _("Your course results"),
    "training.ResultChange": _("Changes of your grades"),
    "training.Certificate": _("Your certificates"),
    "training.DisclosurePermission": _("Your permissions to disclose training data"),
    "rights.DataSubjectRequest": _("Your data protection requests"),
    "rights.ObjectionDecision": _("Your objections and their decisions"),
    "rights.RequestAnswer": _("Answers given to you"),
}
FIELD_LABELS = {
    "id": _("Identifier"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "email": _("E-mail"),
    "phone": _("Phone"),
    "organization_id": _("Organization identifier"),
    "organization_name": _("Organization"),
    "title": _("Position"),
    "self_given_info": _("Information you gave"),
    "created_at": _("Added"),
    "updated_at": _("Last changed"),
    "last_activity_at": _("Last activity"),
    "restricted_at": _("Processing restricted since"),
    "restriction_reason": _("Reason for the restriction"),
    "restriction_lifted_at": _("Restriction lifted"),
    "restriction_lift_reason": _("Reason for lifting the restriction"),
    "marketing_objection_at": _("Objected to direct marketing"),
    "category": _("Group"),
    "purpose": _("Purpose"),
    "purposes": _("Purposes"),
    "basis": _("Legal basis"),
    "interest_ground": _("Legitimate interest"),
    "justification": _("Justification"),
    "valid_from": _("Valid from"),
    "valid_until": _("Valid until"),
    "recorded_at": _("Recorded"),
    "withdrawn_at": _("Consent withdrawn"),
    "kind": _("Kind"),
    "detail": _("Detail"),
    "obtained_on": _("Obtained"),
    "occurred_at": _("Time"),
    "text": _("Text"),
    "reference": _("Reference"),
    "type": _("Type"),
    "channel": _("Channel"),
    "received_on": _("Received"),
    "status": _("Status"),
    "due_on": _("Due"),
    "details": _("Details"),
    "recipient": _("Recipient"),
    "categories": _("Categories"),
    "disclosed_at": _("Disclosed"),
    "rectified_at": _("Corrected"),
    "fields": _("Fields"),
    "before": _("Before"),
    "after": _("After"),
    "recipients_notified": _("Recipients to be notified"),
    "request": _("Request"),
    "reasons": _("Reasons"),
    "decided_at": _("Decided"),
    "birth_date": _("Birth date"),
    "birth_date_reason": _("Why the birth date is kept"),
    "birth_date_reason_detail": _("Course requiring the birth date"),
    "course_code": _("Course code"),
    "course_name_fi": _("Course (Finnish)"),
    "course_name_en": _("Course (English)"),
    "starts_on": _("Starts"),
    "ends_on": _("Ends"),
    "enrolled_at": _("Enrolled"),
    "grade": _("Grade"),
    "completed_on": _("Completed"),
    "passed": _("Passed"),
    "graded_at": _("Graded"),
    "changed_at": _("Changed"),
    "reason": _("Reason"),
    "number": _("Number"),
    "issued_on": _("Issued"),
    "verification_code": _("Verification code"),
    "valid": _("Valid"),
    "granted_on": _("Granted"),
}
_DATE_KEYS = ("valid_from", "valid_until")


def _person(person_id: UUID | str) -> Person:
    return Person.objects.select_related("organization").get(pk=person_id)


def _organization(person: Person) -> dict[str, Any] | None:
    organization = person.organization
    if organization is None:
        return None
    return {
        "id": organization.pk,
        "name": organization.name,
        "business_id": organization.business_id,
        "street_address": organization.street_address,
        "postal_code": organization.postal_code,
        "city": organization.city,
        "country": organization.country,
    }


def access_package(*, actor: Actor, person_id: UUID | str) -> dict[str, Any]:
    """Everything the register holds on the person, with the Art. 15 information (JSON-ready).

    Iterates the personal-data registry (entries without an exporter hold nothing readable).
    Works for a restricted person too: access is the person's own right. Audited as "export".
    Raises Person.DoesNotExist for an unknown (or erased) person.
    """
    with key_scope():
        person = _person(person_id)
        sections = []
        held: set[str] = set()
        rows_total = 0
        for entry in personal_data_models():
            if entry.export is None:
                continue
            rows = [entry.export(row) for row in entry.rows_for(person.pk)]
            rows_total += len(rows)
            if rows:
                held.update(entry.categories)
            sections.append(
                {
                    "model": entry.label,
                    "description": entry.description,
                    "categories": list(entry.categories),
                    "purposes": list(entry.purposes),
                    "rows": rows,
                }
            )
        organization = _organization(person)
        if organization and (organization["street_address"] or organization["city"]):
            held.add("company_address")
        bases = list(ProcessingBasis.objects.filter(person=person).select_related("purpose"))
        sources = list(person.sources.all())
        package = {
            "format": ACCESS_FORMAT,
            "generated_at": timezone.now().isoformat(),
            "person_id": str(person.pk),
            "controller": information.controller(),
            "organization": organization,
            "consents": [
                {
                    "purpose": basis.purpose.slug,
                    "given_on": basis.valid_from.isoformat(),
                    "valid_until": basis.valid_until.isoformat() if basis.valid_until else None,
                    "withdrawn_at": basis.withdrawn_at.isoformat() if basis.withdrawn_at else None,
                }
                for basis in bases
                if basis.basis == LegalBasis.CONSENT
            ],
            "data": sections,
            "information": information.art15_information(
                bases=bases,
                sources=sources,
                held_categories=held,
                disclosures=disclosure_recipients(person.pk),
            ),
        }
    audit(
        actor,
        "export",
        "person",
        [person.pk],
        [person.pk],
        kind="access_package",
        sections=len(sections),
        rows=rows_total,
    )
    return package


# --- The readable page --------------------------------------------------------------------


def _localize(value: Any, language: str) -> Any:
    """{"fi": ..., "en": ...} pairs become the one string of `language`, recursively."""
    if isinstance(value, dict):
        if set(value) == set(information.LANGUAGES):
            return value.get(language) or value.get("fi")
        return {key: _localize(item, language) for key, item in value.items()}
    if isinstance(value, list):
        return [_localize(item, language) for item in value]
    return value


def _format_time(key: str, value: str) -> str:
    try:
        if key in _DATE_KEYS or key.endswith("_on"):
            return formats.date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")
        if key.endswith("_at"):
            moment = datetime.fromisoformat(value)
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return formats.date_format(moment, "SHORT_DATETIME_FORMAT")
    except ValueError:
        pass
    return value


def _display(model, key: str, value: Any, purpose_names: dict[str, str]) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if key == "purpose" and value in purpose_names:
        return purpose_names[value]
    if key == "purposes" and isinstance(value, list):
        return ", ".join(purpose_names.get(item, item) for item in value)
    if key == "categories" and isinstance(value, list):
        return ", ".join(
            information.category(item)["label"][translation.get_language() or "fi"] for item in value
        )
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, indent=1)
    if isinstance(value, str) and model is not None:
        try:
            field = model._meta.get_field(key)
        except FieldDoesNotExist:
            field = None
        if field is not None and field.choices:
            return str(dict(field.flatchoices).get(value, value))
        return _format_time(key, value)
    return str(value)


def _section_view(section: dict[str, Any], purpose_names: dict[str, str]) -> dict[str, Any]:
    try:
        model = entry_for(section["model"]).model
    except LookupError:
        model = None  # a model since removed from the registry: shown as stored
    return {
        "title": SECTION_TITLES.get(section["model"], section["description"]),
        "description": section["description"],
        "rows": [
            [
                (FIELD_LABELS.get(key, key), _display(model, key, value, purpose_names))
                for key, value in row.items()
            ]
            for row in section["rows"]
        ],
    }


def access_package_html(package: dict[str, Any], language: str = "fi") -> str:
    """The package as a readable, self-contained HTML page in `language` ("fi" or "en")."""
    language = language if language in information.LANGUAGES else "fi"
    with translation.override(language):
        purpose_names = {
            purpose.slug: (purpose.name_en if language == "en" else purpose.name_fi)
            for purpose in Purpose.objects.all()
        }
        context = {
            "package": package,
            "info": _localize(package["information"], language),
            "sections": [_section_view(section, purpose_names) for section in package["data"]],
            "generated_at": _format_time("generated_at", package["generated_at"]),
            "language": language,
        }
        return render_to_string("rights/access_package.html", context)


# --- Portability --------------------------------------------------------------------------


def portable_bases(person_id: UUID | str) -> list[ProcessingBasis]:
    """The bases in force that make Art. 20 apply: consent or contract."""
    return [basis for basis in active_bases(person_id) if basis.basis in PORTABLE_BASES]


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def portability_export(*, actor: Actor, person_id: UUID | str) -> tuple[bytes, bytes]:
    """Art. 20: the data the person provided themselves, as JSON and as CSV (UTF-8).

    Only where processing is based on consent or a contract; otherwise NotApplicable.
    The fields come from the registry's `provided_by_person` declarations. Audited as "export".
    """
    with key_scope():
        person = _person(person_id)
        bases = portable_bases(person.pk)
        if not bases:
            raise NotApplicable(
                _(
                    "The right to data portability applies to processing based on consent or a contract "
                    "(GDPR Art. 20(1)); no such processing of your data is recorded."
                ),
                code="portability.not_applicable",
            )
        data: dict[str, list[dict[str, Any]]] = {}
        for entry in personal_data_models():
            if not entry.provided_by_person:
                continue
            data[entry.label] = [
                {name: _plain(getattr(row, name)) for name in entry.provided_by_person}
                for row in entry.rows_for(person.pk)
            ]
    document = {
        "format": PORTABILITY_FORMAT,
        "generated_at": timezone.now().isoformat(),
        "person_id": str(person.pk),
        "legal_bases": [{"purpose": basis.purpose.slug, "basis": basis.basis} for basis in bases],
        "data": data,
    }
    json_bytes = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["dataset", "record", "field", "value"])
    rows = 0
    for label, records in data.items():
        for number, record in enumerate(records, start=1):
            rows += 1
            for name, value in record.items():
                writer.writerow([label, number, name, "" if value is None else value])
    audit(actor, "export", "person", [person.pk], [person.pk], kind="portability", rows=rows)
    return json_bytes, buffer.getvalue().encode("utf-8")


# --- Stored answers -----------------------------------------------------------------------


def answer_store(
    *, request: DataSubjectRequest, kind: str, content_json: str, content_csv: str = ""
) -> RequestAnswer:
    """Keep the answer as given, encrypted under the request's own key (created if missing)."""
    cipher_for(request.pk, create=True)
    return RequestAnswer.objects.create(
        request=request,
        person_id=request.person_id,
        kind=kind,
        content_json=content_json,
        content_csv=content_csv,
    )


def answer_content(*, request: DataSubjectRequest, fmt: str) -> bytes | None:
    """The stored answer of a fulfilled access or portability request in one format.

    `fmt`: "json" or "html" for access, "json" or "csv" for portability. None when there is
    no stored answer (not fulfilled, or the person was erased since). The caller audits the
    download (ids only), as the portal's download view does.
    """
    kind = AnswerKind.ACCESS if request.type == AnswerKind.ACCESS else AnswerKind.PORTABILITY
    answer = RequestAnswer.objects.filter(request=request, kind=kind).first()
    if answer is None:
        return None
    if fmt == "json":
        return answer.content_json.encode("utf-8")
    if fmt == "csv" and kind == AnswerKind.PORTABILITY:
        return answer.content_csv.encode("utf-8")
    if fmt == "html" and kind == AnswerKind.ACCESS:
        return access_package_html(json.loads(answer.content_json), request.language).encode("utf-8")
    return None
