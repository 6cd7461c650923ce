"""Forms of the staff UI. They check shape and type; the services validate and save."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from rekisteri.contacts.models import Interaction
from rekisteri.lib.normalize import (
    NormalizationError,
    normalize_business_id,
    normalize_email,
    normalize_phone,
)
from rekisteri.organizations.models import Organization, RelationshipStatus
from rekisteri.people.models import PersonCategory
from rekisteri.privacy.models import GroupCompany, LegalBasis, LegitimateInterestGround, Purpose, SourceKind
from rekisteri.web.messages import translate_service_message

DATE_INPUT = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
DATETIME_INPUT = forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class StaffForm(forms.Form):
    """Ties help texts and errors to their inputs (aria-describedby) for screen readers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if field.help_text:
                self._describe(name, f"{self[name].auto_id}_help")

    def _describe(self, name: str, element_id: str) -> None:
        attrs = self.fields[name].widget.attrs
        ids = attrs.get("aria-describedby", "").split()
        if element_id not in ids:
            attrs["aria-describedby"] = " ".join([*ids, element_id])

    def full_clean(self):
        super().full_clean()
        self._mark_errors()

    def _mark_errors(self) -> None:
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-invalid"] = "true"
                self._describe(name, f"{self[name].auto_id}_error")

    def add_service_errors(self, error: ValidationError, field_map: dict[str, str] | None = None) -> None:
        """Put a service's {field: message} errors on the matching fields, others on the form."""
        field_map = field_map or {}
        if hasattr(error, "error_dict"):
            for key, messages in error.message_dict.items():
                name = field_map.get(key, key)
                for message in messages:
                    self.add_error(name if name in self.fields else None, translate_service_message(message))
        else:
            for message in error.messages:
                self.add_error(None, translate_service_message(message))
        self._mark_errors()


# --- Persons ------------------------------------------------------------------------------

_ORG_CHOICE = re.compile(r"^(?P<name>.*?)\s*\((?P<key>[^()]+)\)\s*$")


def organization_label(organization: Organization) -> str:
    """The text shown for an organization in the person form; parsed back by resolve_organization."""
    key = organization.business_id or f"#{organization.pk}"
    return f"{organization.name} ({key})"


def resolve_organization(text: str) -> Organization | None:
    """The organization a typed or chosen label names; ValidationError when none or several."""
    text = " ".join((text or "").split())
    if not text:
        return None
    match = _ORG_CHOICE.match(text)
    if match:
        key = match["key"].strip()
        if key.startswith("#") and key[1:].isdigit():
            found = Organization.objects.filter(pk=int(key[1:])).first()
        else:
            try:
                business_id = normalize_business_id(key)
            except NormalizationError:
                business_id = key.upper()
            found = Organization.objects.filter(business_id=business_id).order_by("pk").first()
        if found is not None:
            return found
    else:
        try:
            found = Organization.objects.filter(business_id=normalize_business_id(text)).first()
        except NormalizationError:
            found = None
        if found is not None:
            return found
    matches = list(Organization.objects.filter(name__iexact=text).order_by("pk")[:2])
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise ValidationError(
            _("Several organizations have this name: choose one from the suggestions."), code="ambiguous"
        )
    raise ValidationError(
        _("No organization matches this. Choose one from the suggestions, or create the organization first."),
        code="unknown",
    )


class PersonForm(StaffForm):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        help_text=_("For example 040 772 3002 or +358 40 772 3002."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    organization = forms.CharField(
        label=_("Organization"),
        max_length=300,
        required=False,
        help_text=_("Type a name or business ID and choose from the suggestions."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "organization-suggestions"}),
    )
    title = forms.CharField(label=_("Position"), max_length=200, required=False)
    categories = forms.MultipleChoiceField(
        label=_("Categories"),
        required=False,
        choices=PersonCategory.Category.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    self_given_info = forms.CharField(
        label=_("Information the person gave"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    # The normalisers run here too, so every mistake is reported in one round trip; the
    # service normalises again and stays the authority.
    def clean_email(self):
        return _normalized(normalize_email, self.cleaned_data.get("email", ""))

    def clean_phone(self):
        return _normalized(normalize_phone, self.cleaned_data.get("phone", ""))

    def clean_organization(self):
        return resolve_organization(self.cleaned_data.get("organization", ""))


def _normalized(normalizer, value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return normalizer(value)
    except NormalizationError as exc:
        raise ValidationError(translate_service_message(str(exc))) from None


# --- Organizations --------------------------------------------------------------------------


class OrganizationForm(StaffForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    business_id = forms.CharField(
        label=_("Business ID"),
        max_length=40,
        required=False,
        help_text=_("A Finnish business ID (Y-tunnus) looks like 1234567-1."),
    )
    business_id_country = forms.CharField(label=_("Country of the business ID"), max_length=2, initial="FI")
    street_address = forms.CharField(label=_("Street address"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    country = forms.CharField(
        label=_("Country"), max_length=2, initial="FI", help_text=_("Two letters, such as FI or SE.")
    )
    status = forms.ChoiceField(
        label=_("Relationship"), choices=RelationshipStatus.choices, initial=RelationshipStatus.PROSPECT
    )
    owner_company = forms.ModelChoiceField(
        label=_("Owned by group company"),
        queryset=GroupCompany.objects.order_by("-is_controller", "name"),
        empty_label=None,
    )

    def clean(self):
        cleaned = super().clean()
        business_id, country = cleaned.get("business_id"), cleaned.get("business_id_country") or "FI"
        if business_id:
            try:
                cleaned["business_id"] = normalize_business_id(business_id, country)
            except NormalizationError as exc:
                self.add_error("business_id", translate_service_message(str(exc)))
        return cleaned


def staff_users():
    """Staff who may be made responsible for a customer: active users with a staff role."""
    return (
        get_user_model()
        .objects.filter(is_active=True, staff_profile__isnull=False)
        .exclude(staff_profile__role="")
        .order_by("last_name", "first_name", "username")
    )


class StaffChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        full = obj.get_full_name()
        return f"{full} ({obj.get_username()})" if full else obj.get_username()


class ResponsibleStaffForm(StaffForm):
    responsible_staff = StaffChoiceField(
        label=_("Responsible staff"),
        queryset=staff_users(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


# --- Contact history, bases and sources -------------------------------------------------------


class InteractionForm(StaffForm):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Interaction.Kind.choices, initial=Interaction.Kind.MEETING
    )
    occurred_at = forms.DateTimeField(
        label=_("When"),
        widget=DATETIME_INPUT,
        input_formats=DATETIME_FORMATS,
        required=False,
        help_text=_("Leave empty for now."),
    )
    text = forms.CharField(
        label=_("What happened"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )


def _purpose_choices():
    return [(purpose.slug, purpose.name) for purpose in Purpose.objects.order_by("position", "slug")]


class BasisForm(StaffForm):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=())
    basis = forms.ChoiceField(label=_("Legal basis"), choices=LegalBasis.choices)
    interest_ground = forms.ChoiceField(
        label=_("Connection with the person"),
        required=False,
        choices=[("", _("(only for a legitimate interest)")), *LegitimateInterestGround.choices],
    )
    justification = forms.CharField(
        label=_("Justification"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    valid_from = forms.DateField(
        label=_("Valid from"), required=False, widget=DATE_INPUT, help_text=_("Leave empty for today.")
    )
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=DATE_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = _purpose_choices()


class SourceForm(StaffForm):
    kind = forms.ChoiceField(label=_("Source"), choices=SourceKind.choices)
    detail = forms.CharField(label=_("Details"), max_length=300, required=False)
    obtained_on = forms.DateField(
        label=_("Obtained on"), required=False, widget=DATE_INPUT, help_text=_("Leave empty for today.")
    )


class PersonDeleteForm(StaffForm):
    confirm = forms.BooleanField(
        label=_("I understand that the person and all their data will be deleted permanently."),
    )
    # Fixed choices, because the reason goes into the audit trail, which must hold no personal data.
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[
            ("erasure_request", _("The person asked for erasure")),
            ("duplicate", _("Duplicate record")),
            ("no_longer_needed", _("The data is no longer needed")),
            ("other", _("Other reason")),
        ],
    )


# --- Audit trail ------------------------------------------------------------------------------


class ActorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_username()


class AuditFilterForm(StaffForm):
    person = forms.UUIDField(label=_("Person ID"), required=False)
    # Every user who ever acted, former staff included, so old events stay findable.
    actor = ActorChoiceField(
        label=_("Staff member"),
        required=False,
        queryset=get_user_model().objects.order_by("username"),
        empty_label=_("Anyone"),
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE_INPUT)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date cannot be before the start date."))
        return cleaned


class RestrictionLiftForm(StaffForm):
    reason = forms.CharField(
        label=_("Reasons for lifting the restriction"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The person is told these reasons (GDPR Art. 18(3))."),
    )
