"""Forms of section 11's pages: instructions, the access review, the risk register."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from rekisteri.governance.models import RiskDecision, RiskLevel
from rekisteri.web.forms import DATE_INPUT, StaffForm, staff_name


class InstructionForm(StaffForm):
    title_fi = forms.CharField(label=_("Title in Finnish"), max_length=200)
    title_en = forms.CharField(label=_("Title in English"), max_length=200)
    body_fi = forms.CharField(label=_("Instructions in Finnish"), widget=forms.Textarea(attrs={"rows": 14}))
    body_en = forms.CharField(label=_("Instructions in English"), widget=forms.Textarea(attrs={"rows": 14}))


class ReviewDoneForm(StaffForm):
    notes = forms.CharField(
        label=_("Findings and actions"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you checked, found and did (access removed, NDAs asked for). No customer data."),
    )


class _StaffChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return staff_name(obj)


class RiskForm(StaffForm):
    title = forms.CharField(label=_("Risk"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What could happen, to whose data, and through what (for example a new system)."),
    )
    likelihood = forms.ChoiceField(label=_("Likelihood"), choices=RiskLevel.choices)
    impact = forms.ChoiceField(label=_("Impact on the persons"), choices=RiskLevel.choices)
    assessment = forms.CharField(label=_("Assessment"), widget=forms.Textarea(attrs={"rows": 3}))
    decision = forms.ChoiceField(label=_("Decision"), choices=RiskDecision.choices)
    measures = forms.CharField(label=_("Measures"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    owner = _StaffChoice(
        label=_("Owner"),
        queryset=get_user_model()
        .objects.filter(is_active=True, staff_profile__isnull=False)
        .order_by("username"),
    )
    review_on = forms.DateField(label=_("Review date"), widget=DATE_INPUT)
