"""Forms of the staff's marketing pages: forms validate, services save."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from rekisteri.marketing.models import Basis, Channel, Topic

GIVING = [(c.value, c.label) for c in Channel if c.value in ("web_form", "email", "phone", "paper", "event")]


class CampaignForm(forms.Form):
    topic = forms.ModelChoiceField(
        label=_("Newsletter list"), queryset=Topic.objects.filter(kind=Topic.Kind.LIST), to_field_name="slug"
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body_markdown = forms.CharField(
        label=_("Message (Markdown)"), widget=forms.Textarea(attrs={"rows": 14}), max_length=100_000
    )
    basis = forms.ChoiceField(label=_("Lawful basis"), choices=Basis.choices)
    language = forms.ChoiceField(label=_("Language"), choices=[("fi", "suomi"), ("en", "English")])
    scheduled_at = forms.DateTimeField(
        label=_("Send at (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("Leave empty to keep it as a draft; the worker starts it at this time."),
    )


class ScheduleForm(forms.Form):
    scheduled_at = forms.DateTimeField(
        label=_("Send at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


class ConsentForm(forms.Form):
    topic = forms.ModelChoiceField(label=_("Topic"), queryset=Topic.objects.all(), to_field_name="slug")
    channel = forms.ChoiceField(label=_("Channel"), choices=GIVING)


class RelevanceForm(forms.Form):
    topic = forms.ModelChoiceField(
        label=_("Topic"), queryset=Topic.objects.filter(kind=Topic.Kind.LIST), to_field_name="slug"
    )
    reason = forms.CharField(label=_("Why it concerns their work role"), max_length=500)


class RelevanceRemoveForm(forms.Form):
    relevance = forms.UUIDField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Why it no longer concerns their work role"), max_length=500)


class WordingForm(forms.Form):
    text_fi = forms.CharField(
        label=_("Wording in Finnish"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    text_en = forms.CharField(
        label=_("Wording in English"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
