"""Forms of the notice's configuration pages: purposes (section 2), group companies and the
recipients register (section 6). Forms validate the input; the services in
rekisteri.privacy.configuration check the rules and save."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from rekisteri.privacy.models import Recipient
from rekisteri.web.forms import DATE_INPUT, StaffForm


class PurposeForm(StaffForm):
    """A purpose of processing; its code is given once and never changes (rules name it)."""

    slug = forms.SlugField(
        label=_("Code"),
        max_length=64,
        help_text=_("Lower-case letters, digits and hyphens; it cannot be changed later."),
    )
    name_fi = forms.CharField(label=_("Name in Finnish"), max_length=300)
    name_en = forms.CharField(label=_("Name in English"), max_length=300)
    description_fi = forms.CharField(label=_("Description in Finnish"), required=False, widget=forms.Textarea)
    description_en = forms.CharField(label=_("Description in English"), required=False, widget=forms.Textarea)
    position = forms.IntegerField(label=_("Order in the notice"), min_value=0, max_value=32767, initial=0)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["slug"]


class GroupCompanyForm(StaffForm):
    """A company of the controller's group (the controller itself has its own page)."""

    name = forms.CharField(label=_("Name"), max_length=200)
    business_id = forms.CharField(label=_("Business ID"), max_length=32, required=False)


class RecipientForm(StaffForm):
    """A processor or an authority in the recipients register. A group company's row keeps
    its name (renamed as a group company) and its kind; a new row cannot be switched off."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (Recipient.Kind.PROCESSOR, Recipient.Kind.PROCESSOR.label),
            (Recipient.Kind.AUTHORITY, Recipient.Kind.AUTHORITY.label),
        ],
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    service_fi = forms.CharField(label=_("Service in Finnish"), max_length=300)
    service_en = forms.CharField(label=_("Service in English"), max_length=300)
    data_location = forms.CharField(
        label=_("Where the data is"),
        max_length=200,
        required=False,
        help_text=_("For example EU/ETA (Suomi)."),
    )
    dpa_signed_on = forms.DateField(
        label=_("Data processing agreement signed on"), required=False, widget=DATE_INPUT
    )
    review_on = forms.DateField(label=_("Agreement reviewed next on"), required=False, widget=DATE_INPUT)
    active = forms.BooleanField(
        label=_("In use (data goes to it and the notice names it)"), required=False, initial=True
    )
    position = forms.IntegerField(label=_("Order in the notice"), min_value=0, max_value=32767, initial=0)

    def __init__(self, *args, recipient: Recipient | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if recipient is None:
            del self.fields["active"]
        else:
            del self.fields["kind"]
            if recipient.group_company_id is not None:
                del self.fields["name"]

    def clean(self):
        data = super().clean()
        signed, review = data.get("dpa_signed_on"), data.get("review_on")
        if signed and review and review < signed:
            self.add_error("review_on", _("The review comes after the signing."))
        return data
