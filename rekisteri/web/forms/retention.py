"""Forms of the privacy officer's retention page (section 7): holds, backlog confirmation and the
rules themselves."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from rekisteri.privacy.models import Purpose
from rekisteri.retention.models import Anchor, Category, LegalHold
from rekisteri.web.forms import DATE_INPUT, StaffForm


class HoldForm(StaffForm):
    person_id = forms.UUIDField(label=_("Person id"), required=False)
    organization_id = forms.IntegerField(label=_("Organization id"), required=False, min_value=1)
    kind = forms.ChoiceField(label=_("Kind"), choices=LegalHold.Kind.choices)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        help_text=_("A case number or the statute; no personal values."),
    )
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE_INPUT)

    def clean(self):
        data = super().clean()
        if bool(data.get("person_id")) == bool(data.get("organization_id")):
            raise forms.ValidationError(_("Name a person or an organization."))
        return data


class RuleForm(StaffForm):
    """A new retention rule (section 7); the service checks the period against the ceiling."""

    code = forms.SlugField(
        label=_("Code"),
        max_length=64,
        help_text=_("Lower-case letters, digits and hyphens; it cannot be changed later."),
    )
    purpose = forms.ChoiceField(label=_("Purpose"), required=False)
    category = forms.ChoiceField(label=_("Group of persons"), choices=Category.choices)
    period = forms.CharField(
        label=_("Period"), max_length=32, help_text=_("ISO 8601, for example P2Y or P6M.")
    )
    anchor = forms.ChoiceField(label=_("Runs from"), choices=Anchor.choices)
    legal_reason_fi = forms.CharField(label=_("Legal reason in Finnish"), widget=forms.Textarea)
    legal_reason_en = forms.CharField(label=_("Legal reason in English"), widget=forms.Textarea)
    statutory = forms.BooleanField(
        label=_("A statute requires keeping longer than two years"), required=False
    )
    auto_confirm = forms.BooleanField(label=_("Confirmed automatically"), required=False, initial=True)
    position = forms.IntegerField(label=_("Order in the notice"), min_value=0, max_value=32767, initial=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = [("", _("Every purpose"))] + [
            (purpose.slug, purpose.name) for purpose in Purpose.objects.all()
        ]


class RuleEditForm(StaffForm):
    """A rule's period, legal reason and confirmation mode; its code, group and anchor stay."""

    period = forms.CharField(
        label=_("Period"), max_length=32, help_text=_("ISO 8601, for example P2Y or P6M.")
    )
    legal_reason_fi = forms.CharField(label=_("Legal reason in Finnish"), widget=forms.Textarea)
    legal_reason_en = forms.CharField(label=_("Legal reason in English"), widget=forms.Textarea)
    statutory = forms.BooleanField(
        label=_("A statute requires keeping longer than two years"), required=False
    )
    auto_confirm = forms.BooleanField(label=_("Confirmed automatically"), required=False)
    active = forms.BooleanField(label=_("In use"), required=False)
