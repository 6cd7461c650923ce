"""Forms of the privacy officer's request register.

They check shape and type; the services in rights/services.py validate the rules and save.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from rekisteri.errors import from_lib_error
from rekisteri.lib.normalize import NormalizationError, normalize_email
from rekisteri.rights.models import Channel, RefusalKind, RequestType, Verification
from rekisteri.web.forms import DATE_INPUT, StaffForm


class RightsForm(StaffForm):
    """Puts a rights service's {field: message} errors on the form, in the user's language."""

    # Service error keys that name a field of this form under another name.
    service_fields: dict[str, str] = {}

    def add_rights_errors(self, error: ValidationError) -> None:
        self.add_service_errors(error, self.service_fields)


def normalized_email(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return normalize_email(value)
    except NormalizationError as exc:
        raise from_lib_error(exc) from None


# --- The request register (privacy officer) -------------------------------------------------

STATE_CHOICES = [("open", _("Open")), ("closed", _("Closed")), ("all", _("All"))]
DUE_CHOICES = [("", _("Any time")), ("overdue", _("Overdue")), ("soon", _("Due within 7 days"))]


class RequestFilterForm(RightsForm):
    state = forms.ChoiceField(label=_("State"), choices=STATE_CHOICES, required=False)
    type = forms.ChoiceField(
        label=_("Type"), choices=[("", _("All types")), *RequestType.choices], required=False
    )
    due = forms.ChoiceField(label=_("Due"), choices=DUE_CHOICES, required=False)


STAFF_CHANNELS = [(c.value, c.label) for c in Channel if c != Channel.PORTAL]
VERIFIED_METHODS = [(v.value, v.label) for v in Verification if v.value]


class RequestCreateForm(RightsForm):
    type = forms.ChoiceField(label=_("Type"), choices=RequestType.choices)
    channel = forms.ChoiceField(label=_("Came by"), choices=STAFF_CHANNELS)
    received_on = forms.DateField(label=_("Received on"), widget=DATE_INPUT)
    email = forms.CharField(
        label=_("Requester's e-mail"),
        max_length=254,
        required=False,
        help_text=_("Needed when the request came by e-mail; answers go to this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    name = forms.CharField(label=_("Requester's name"), max_length=200, required=False)
    details = forms.CharField(
        label=_("What the requester asks"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    language = forms.ChoiceField(
        label=_("Language of the answer"), choices=[("fi", "Suomi"), ("en", "English")]
    )
    verification = forms.ChoiceField(
        label=_("Identity verified by"),
        choices=[("", _("Not verified yet")), *VERIFIED_METHODS],
        required=False,
        help_text=_(
            "A request whose identity is not verified waits until it is, or is refused with reasons."
        ),
    )
    verification_note = forms.CharField(
        label=_("How it was verified"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"received_on": timezone.localdate(), "language": "fi"})
        super().__init__(*args, **kwargs)

    def clean_email(self):
        return normalized_email(self.cleaned_data.get("email", ""))


class VerifyForm(RightsForm):
    service_fields = {"verification": "method"}
    method = forms.ChoiceField(label=_("Identity verified by"), choices=VERIFIED_METHODS)
    note = forms.CharField(
        label=_("Note"),
        max_length=1000,
        required=False,
        help_text=_("What was checked, for example the number called back. No copies of documents."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AssigneeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        full = obj.get_full_name()
        return f"{full} ({obj.get_username()})" if full else obj.get_username()


def request_handlers():
    """Active users who may handle requests (hold the change permission through a group or directly)."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(
                groups__permissions__codename="change_datasubjectrequest",
                groups__permissions__content_type__app_label="rights",
            )
            | Q(
                user_permissions__codename="change_datasubjectrequest",
                user_permissions__content_type__app_label="rights",
            )
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


class AssignForm(RightsForm):
    assignee = AssigneeChoiceField(
        label=_("Handled by"), queryset=request_handlers(), required=False, empty_label=_("Nobody")
    )


class ExtendForm(RightsForm):
    # The service's "extension" errors name no one field (months, reasons or date): form-wide.
    months = forms.TypedChoiceField(
        label=_("Extend by"),
        coerce=int,
        choices=[(1, _("1 month")), (2, _("2 months"))],
    )
    reason = forms.CharField(
        label=_("Reasons"),
        max_length=2000,
        help_text=_("Told to the requester (Art. 12(3)): the complexity or number of requests."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    notified_on = forms.DateField(label=_("Requester told on"), widget=DATE_INPUT)
    notified_via = forms.ChoiceField(
        label=_("Told by"),
        choices=STAFF_CHANNELS,
        help_text=_("By e-mail: the register sends the message with the reasons and the new due date now."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"notified_on": timezone.localdate(), "notified_via": Channel.EMAIL})
        super().__init__(*args, **kwargs)


class RefuseForm(RightsForm):
    service_fields = {"refusal_kind": "kind"}
    kind = forms.ChoiceField(label=_("Grounds"), choices=RefusalKind.choices)
    reason = forms.CharField(
        label=_("Reasons"),
        max_length=5000,
        help_text=_(
            "Sent to the requester with the complaint route to the supervisory authority (Art. 12(4))."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class FeeForm(RightsForm):
    service_fields = {"fee": "amount", "fee_reason": "reason"}
    amount = forms.DecimalField(
        label=_("Fee in euros"), min_value=Decimal("0.01"), max_value=Decimal("1000"), decimal_places=2
    )
    reason = forms.CharField(
        label=_("Reasons"),
        max_length=1000,
        help_text=_(
            "Only for a manifestly unfounded or excessive request, to cover administrative costs "
            "(Art. 12(5))."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    @property
    def cents(self) -> int:
        return int(self.cleaned_data["amount"] * 100)


class ConfirmForm(RightsForm):
    """A button that changes state: start, withdraw."""


class FulfilForm(RightsForm):
    confirm = forms.BooleanField(
        label=_("I have checked the request; carry out the right now."),
    )

    def fulfil_options(self) -> dict:
        """Keyword arguments for fulfilment.request_fulfil besides actor and request."""
        return {}


# The person fields a rectification may correct (people.services.PERSON_FIELDS but the organization,
# which is corrected on the person's card).
RECTIFIABLE = ("first_name", "last_name", "email", "phone", "title", "self_given_info")


class RectificationFulfilForm(FulfilForm):
    """Art. 16: the corrected values; the service records before and after (and Art. 19 recipients)."""

    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    email = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Phone"), max_length=40, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    title = forms.CharField(label=_("Position"), max_length=200, required=False)
    self_given_info = forms.CharField(
        label=_("Information the person gave"),
        max_length=5000,
        required=False,
        help_text=_("Fill in only what is corrected; empty fields keep their values."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    field_order = [*RECTIFIABLE, "confirm"]

    def clean(self):
        cleaned = super().clean()
        if not any((cleaned.get(name) or "").strip() for name in RECTIFIABLE):
            raise ValidationError(gettext("Give the corrected values: a rectification needs them."))
        return cleaned

    def fulfil_options(self) -> dict:
        changes = {name: self.cleaned_data[name].strip() for name in RECTIFIABLE}
        return {"changes": {name: value for name, value in changes.items() if value}}


def _purpose_choices():
    from rekisteri.privacy.models import Purpose

    return [(purpose.slug, purpose.name) for purpose in Purpose.objects.order_by("position", "slug")]


class ObjectionFulfilForm(FulfilForm):
    """Art. 21: which processing the person objects to; by default direct marketing and every
    purpose processed on legitimate interest."""

    objection_to = forms.MultipleChoiceField(
        label=_("Objects to"),
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Direct marketing stops at once and for good. An objection to processing on legitimate "
            "interest opens a decision for you. Choose none for all of them."
        ),
    )
    field_order = ["objection_to", "confirm"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["objection_to"].choices = _purpose_choices()

    def fulfil_options(self) -> dict:
        chosen = self.cleaned_data.get("objection_to") or []
        return {"objection_to": list(chosen)} if chosen else {}


FULFIL_FORMS = {
    RequestType.RECTIFICATION: RectificationFulfilForm,
    RequestType.OBJECTION: ObjectionFulfilForm,
}


def fulfil_form_class(request_type: str) -> type[FulfilForm]:
    return FULFIL_FORMS.get(request_type, FulfilForm)


class ObjectionDecideForm(RightsForm):
    """Art. 21(1): compelling legitimate grounds, or the processing stops; reasons go to the requester."""

    outcome = forms.ChoiceField(label=_("Decision"), choices=(), widget=forms.RadioSelect)
    reasons = forms.CharField(
        label=_("Reasons"),
        max_length=5000,
        help_text=_("Sent to the requester with the complaint route to the supervisory authority."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        from rekisteri.rights.models import ObjectionStatus

        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [
            (ObjectionStatus.COMPELLING_GROUNDS.value, ObjectionStatus.COMPELLING_GROUNDS.label),
            (ObjectionStatus.PROCESSING_STOPPED.value, ObjectionStatus.PROCESSING_STOPPED.label),
        ]
