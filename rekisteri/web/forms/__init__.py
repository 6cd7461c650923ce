"""Forms of the staff UI. They check shape and type; the services validate and save."""

from __future__ import annotations

import re
import secrets

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from rekisteri.contacts.models import Interaction
from rekisteri.errors import from_lib_error
from rekisteri.lib.normalize import (
    NormalizationError,
    normalize_business_id,
    normalize_email,
    normalize_phone,
)
from rekisteri.organizations.models import Organization, RelationshipStatus
from rekisteri.people.models import MergeReason, PersonCategory
from rekisteri.people.restriction import READ_REASON_MIN, read_reason_clean
from rekisteri.privacy.models import GroupCompany, LegalBasis, LegitimateInterestGround, Purpose, SourceKind

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
        # The messages are lazy translations: they read in the user's language as they are.
        if hasattr(error, "error_dict"):
            for key, errors in error.error_dict.items():
                name = field_map.get(key, key)
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, error.error_list)
        self._mark_errors()


class OnceForm(StaffForm):
    """A form that creates something carries a one-time token (rekisteri.accounts.idempotency),
    so sending it again (a double click, a reload, going back and saving again) shows what
    the first submission created instead of creating a copy. `cleaned` leaves the token out.
    """

    submission_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["submission_token"] = secrets.token_urlsafe(24)

    @property
    def token(self) -> str:
        return self.cleaned_data.get("submission_token") or ""

    def cleaned(self, *leave_out: str) -> dict:
        """The cleaned data for a service: without the token and the named fields."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name != "submission_token" and name not in leave_out
        }


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


class PersonForm(OnceForm):
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
    # Shown only after a duplicate warning: they are different people after all.
    allow_duplicate = forms.BooleanField(
        label=_("Save anyway: this is a different person with the same e-mail address or phone number"),
        required=False,
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
        raise from_lib_error(exc) from None


# --- Organizations --------------------------------------------------------------------------


class OrganizationForm(OnceForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    business_id = forms.CharField(
        label=_("Business ID"),
        max_length=40,
        required=False,
        help_text=_("A Finnish business ID (Y-tunnus) looks like 0154088-5."),
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
                self.add_error("business_id", from_lib_error(exc))
        return cleaned


def staff_users():
    """Staff who may be made responsible for a customer: active users with a staff role."""
    return (
        get_user_model()
        .objects.filter(is_active=True, staff_profile__isnull=False)
        .exclude(staff_profile__role="")
        .order_by("last_name", "first_name", "username")
    )


def staff_label(user) -> str:
    full = user.get_full_name()
    return f"{full} ({user.get_username()})" if full else user.get_username()


class StaffChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return staff_label(obj)


class ResponsibleStaffForm(StaffForm):
    responsible_staff = StaffChoiceField(
        label=_("Responsible staff"),
        queryset=staff_users(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


# --- Contact history, bases and sources -------------------------------------------------------


class InteractionForm(OnceForm):
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

    def __init__(self, *args, kinds=None, **kwargs):
        """`kinds`: the interaction kinds the user's role may record (people.visibility)."""
        super().__init__(*args, **kwargs)
        if kinds is not None:
            field = self.fields["kind"]
            field.choices = [(value, label) for value, label in Interaction.Kind.choices if value in kinds]
            if field.initial not in kinds and field.choices:
                field.initial = field.choices[0][0]


def _purpose_choices():
    return [
        (purpose.slug, purpose.name)
        for purpose in Purpose.objects.filter(active=True).order_by("position", "slug")
    ]


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
    report_date = forms.DateField(
        label=_("Report date"),
        required=False,
        widget=DATE_INPUT,
        help_text=_("Suomen Asiakastieto only: the date of the company check's report."),
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
    # Art. 17(3): only when the register must keep the person, and only the privacy officer.
    override_reason = forms.CharField(
        label=_("Reasons for deleting despite the obligation to keep"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the obligation no longer binds (no personal values); kept with the decision."),
    )


# --- Audit trail ------------------------------------------------------------------------------


def staff_name(user) -> str:
    """A staff member as the audit pages name them: full name and username."""
    full_name = user.get_full_name()
    return f"{full_name} ({user.get_username()})" if full_name else user.get_username()


class ActorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return staff_name(obj)


class AuditFilterForm(StaffForm):
    # Searched like the search page (name, e-mail or phone); an id as well, which is the
    # only way to find an erased person's events.
    person = forms.CharField(
        label=_("Person"),
        required=False,
        max_length=100,
        help_text=_("Name, e-mail address, phone number or ID."),
    )
    # Every user who ever acted, former staff included, so old events stay findable.
    actor = ActorChoiceField(
        label=_("Staff member"),
        required=False,
        queryset=get_user_model().objects.order_by("last_name", "first_name", "username"),
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


# --- Staff passwords ---------------------------------------------------------------------------


class StaffPasswordChangeForm(StaffForm, PasswordChangeForm):
    """Django's password change form (old password, the password validators), with its help
    as plain text tied to its input, as in every form of the staff pages."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = " ".join(password_validators_help_texts())


class RestrictedReadForm(StaffForm):
    """Art. 18: the legal reason for reading a restricted person's data, kept in the audit trail."""

    reason = forms.CharField(
        label=_("Legal reason for reading"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "For example the legal claim, the authority's request or the statute (with its "
            "case number). The reason is kept in the audit trail of this read."
        ),
    )

    def clean_reason(self):
        try:
            return read_reason_clean(self.cleaned_data["reason"])
        except ValidationError as exc:
            raise forms.ValidationError(
                _("State the legal reason for the read (at least %(count)s characters).")
                % {"count": READ_REASON_MIN}
            ) from exc


class RestrictionLiftForm(StaffForm):
    reason = forms.CharField(
        label=_("Reasons for lifting the restriction"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The person is told these reasons (GDPR Art. 18(3))."),
    )


# --- Merging two records of one person -------------------------------------------------------


class MergeSearchForm(StaffForm):
    q = forms.CharField(
        label=_("Find the other record"),
        max_length=100,
        required=False,
        help_text=_("Name, e-mail address or phone number."),
    )


SIDES = [("this", _("This card")), ("other", _("The other card"))]


class MergeForm(StaffForm):
    """Which card stays, which value of each differing field it keeps, and which legal basis
    of a purpose both records have. "this" is the card the merge started from."""

    keep = forms.ChoiceField(
        label=_("Card that stays"), choices=SIDES, initial="this", widget=forms.RadioSelect
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=MergeReason.choices)
    confirm = forms.BooleanField(
        label=_(
            "I have checked that these are the same person. The other card is removed, everything "
            "recorded on it moves to the card that stays, and its address leads there."
        )
    )

    def __init__(self, *args, fields=(), purposes=(), initial_sides=None, **kwargs):
        super().__init__(*args, **kwargs)
        initial_sides = initial_sides or {}
        for name, label in fields:
            self.fields[f"field_{name}"] = forms.ChoiceField(
                label=label, choices=SIDES, initial=initial_sides.get(name, "this"), widget=forms.RadioSelect
            )
        for slug, label in purposes:
            self.fields[f"basis_{slug}"] = forms.ChoiceField(
                label=label, choices=SIDES, initial="this", widget=forms.RadioSelect
            )

    def choices(self, prefix: str) -> dict[str, str]:
        """{name: "this" | "other"} of the field or basis choices."""
        return {
            name.removeprefix(prefix): value
            for name, value in self.cleaned_data.items()
            if name.startswith(prefix)
        }
