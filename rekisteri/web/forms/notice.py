"""Forms of the privacy notice's staff pages: the controller, the authority, publishing."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ControllerForm(forms.Form):
    """Section 1: the controller and its representative, as the notice states them."""

    name = forms.CharField(label=_("Name"), max_length=200)
    business_id = forms.CharField(label=_("Business ID"), max_length=32, required=False)
    street_address = forms.CharField(label=_("Street address"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    representative_name = forms.CharField(label=_("Representative"), max_length=200, required=False)
    representative_title = forms.CharField(label=_("Representative's title"), max_length=200, required=False)
    representative_phone = forms.CharField(label=_("Representative's phone"), max_length=64, required=False)
    representative_email = forms.EmailField(label=_("Representative's e-mail"), required=False)
    representative_postal_address = forms.CharField(
        label=_("Representative's postal address"), max_length=200, required=False
    )


class AuthorityForm(forms.Form):
    """Section 8: the supervisory authority; a blank field keeps the deployment's default."""

    authority_name_fi = forms.CharField(label=_("Name in Finnish"), max_length=200, required=False)
    authority_name_en = forms.CharField(label=_("Name in English"), max_length=200, required=False)
    authority_street_address = forms.CharField(label=_("Street address"), max_length=200, required=False)
    authority_postal_address = forms.CharField(label=_("Postal address"), max_length=200, required=False)
    authority_phone = forms.CharField(label=_("Phone"), max_length=64, required=False)
    authority_email = forms.EmailField(label=_("E-mail"), required=False)
    authority_url = forms.URLField(label=_("Website"), required=False, assume_scheme="https")


class PublishForm(forms.Form):
    """Section 12: publish the draft as the next version."""

    effective_on = forms.DateField(
        label=_("Takes effect on"), widget=forms.DateInput(attrs={"type": "date"}), input_formats=["%Y-%m-%d"]
    )
    significant = forms.BooleanField(
        label=_("Significant change (announced to everyone by mail, and not before the lead time)"),
        required=False,
    )
    summary = forms.CharField(label=_("Summary of the changes"), max_length=2000, widget=forms.Textarea)
