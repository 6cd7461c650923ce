"""The person list's filter form and the export form of the staff UI."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from rekisteri.organizations.models import Organization
from rekisteri.people.models import PersonCategory
from rekisteri.privacy.models import GroupCompany, LegalBasis, SourceKind
from rekisteri.web.forms import (
    StaffForm,
    _purpose_choices,
    resolve_organization,
    staff_label,
    staff_users,
)

# The list form's field names and the filters' (rekisteri.people.filters) where they differ.
PERSON_FILTER_FIELDS = {
    "organization": "organization_id",
    "owner_company": "owner_company_id",
    "responsible": "responsible_id",
}


def _any(label) -> list[tuple[str, str]]:
    return [("", label)]


class PersonListForm(StaffForm):
    """The person list's search, filters and order (GET; every field optional)."""

    q = forms.CharField(
        label=_("Search"),
        max_length=100,
        required=False,
        help_text=_(
            "Name (at least two letters), e-mail address, @domain or the beginning of a phone number."
        ),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}),
    )
    organization = forms.CharField(
        label=_("Organization"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "organization-suggestions"}),
    )
    category = forms.ChoiceField(label=_("Category"), required=False, choices=())
    purpose = forms.ChoiceField(label=_("Purpose"), required=False, choices=())
    basis = forms.ChoiceField(label=_("Legal basis"), required=False, choices=())
    basis_state = forms.ChoiceField(label=_("State of the basis"), required=False, choices=())
    source_kind = forms.ChoiceField(label=_("Source"), required=False, choices=())
    owner_company = forms.ChoiceField(label=_("Owned by group company"), required=False, choices=())
    responsible = forms.ChoiceField(label=_("Responsible staff member"), required=False, choices=())
    sort = forms.ChoiceField(label=_("Order"), required=False, choices=())

    def __init__(self, *args, sort_choices=(), **kwargs):
        from rekisteri.people.filters import BasisState

        super().__init__(*args, **kwargs)
        fields = self.fields
        fields["category"].choices = _any(_("All")) + list(PersonCategory.Category.choices)
        fields["purpose"].choices = _any(_("Any purpose")) + _purpose_choices()
        fields["basis"].choices = _any(_("Any legal basis")) + list(LegalBasis.choices)
        fields["basis_state"].choices = _any(_("Any state")) + list(BasisState.choices)
        fields["source_kind"].choices = _any(_("Any source")) + list(SourceKind.choices)
        fields["owner_company"].choices = _any(_("Any company")) + [
            (str(company.pk), company.name)
            for company in GroupCompany.objects.order_by("-is_controller", "name")
        ]
        fields["responsible"].choices = _any(_("Anyone")) + [
            (str(user.pk), staff_label(user)) for user in staff_users()
        ]
        fields["sort"].choices = list(sort_choices)

    def clean_organization(self):
        """An organization id (from a link) or a typed or chosen label."""
        text = (self.cleaned_data.get("organization") or "").strip()
        if text.isdigit():
            organization = Organization.objects.filter(pk=int(text)).first()
            if organization is None:
                raise ValidationError(_("No such organization."))
            return organization
        return resolve_organization(text)

    def filter_values(self) -> dict:
        """The cleaned filters under the names rekisteri.people.filters uses."""
        data = self.cleaned_data
        values = {
            "category": data.get("category") or "",
            "purpose": data.get("purpose") or "",
            "basis": data.get("basis") or "",
            "basis_state": data.get("basis_state") or "",
            "source_kind": data.get("source_kind") or "",
            "owner_company_id": data.get("owner_company") or None,
            "responsible_id": data.get("responsible") or None,
        }
        organization = data.get("organization")
        values["organization_id"] = organization.pk if organization is not None else None
        return {name: value for name, value in values.items() if value not in (None, "")}


class PersonExportForm(StaffForm):
    """Who gets the list and why (section 6): the export is recorded as a disclosure."""

    format = forms.ChoiceField(
        label=_("File format"),
        choices=[("xlsx", _("Excel workbook (XLSX)")), ("csv", _("CSV (semicolons, UTF-8)"))],
        initial="xlsx",
        widget=forms.RadioSelect,
    )
    disclosure_purpose = forms.ChoiceField(
        label=_("Purpose of the disclosure"),
        choices=(),
        help_text=_("The recipient may use the data only for this purpose."),
    )
    recipient_company = forms.ChoiceField(label=_("Recipient: a group company"), required=False, choices=())
    recipient_name = forms.CharField(
        label=_("Or a processor"),
        max_length=200,
        required=False,
        help_text=_("The business name of a service provider processing data on our behalf."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["disclosure_purpose"].choices = _any(_("Choose…")) + _purpose_choices()
        self.fields["recipient_company"].choices = _any(_("(a processor named below)")) + [
            (str(company.pk), company.name)
            for company in GroupCompany.objects.order_by("-is_controller", "name")
        ]

    def clean(self):
        cleaned = super().clean()
        company, name = cleaned.get("recipient_company"), (cleaned.get("recipient_name") or "").strip()
        if not company and not name:
            self.add_error("recipient_company", _("Choose the group company or name the processor."))
        elif company and name:
            self.add_error(
                "recipient_name", _("Name one recipient: a group company or a processor, not both.")
            )
        return cleaned
