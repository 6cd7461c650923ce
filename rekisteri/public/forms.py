"""The public portal's form: the rights of section 8 in the one order the page explains them."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from rekisteri.rights.models import RequestType
from rekisteri.web.forms.requests import RightsForm, normalized_email


@dataclass(frozen=True)
class PortalRight:
    """A right as the portal explains it: its radio button, and its heading and text in the list."""

    type: str
    choice: str
    title: str
    text: str


# The one order of the rights on the portal: the list that explains them and the buttons
# that choose one follow it alike. Plain words for the person; the staff pages use the
# legal names of RequestType.
PORTAL_RIGHTS = (
    PortalRight(
        RequestType.ACCESS,
        _("See the data held about me (access, Art. 15)"),
        _("Access your data (Art. 15)"),
        _(
            "You can ask whether we process your data and receive a copy of it, with the purposes, "
            "the recipients, how long it is kept and where it came from."
        ),
    ),
    PortalRight(
        RequestType.RECTIFICATION,
        _("Correct wrong or incomplete data (rectification, Art. 16)"),
        _("Rectification (Art. 16)"),
        _("You can have inaccurate data corrected and incomplete data completed."),
    ),
    PortalRight(
        RequestType.ERASURE,
        _("Delete my data (erasure, Art. 17)"),
        _("Erasure (Art. 17)"),
        _(
            "You can have your data deleted when one of the grounds of the article applies, unless a "
            "legal obligation requires us to keep it."
        ),
    ),
    PortalRight(
        RequestType.RESTRICTION,
        _("Restrict the processing of my data (Art. 18)"),
        _("Restriction of processing (Art. 18)"),
        _(
            "You can have the processing of your data restricted, for example while the accuracy of "
            "the data is being checked. The data is then only stored."
        ),
    ),
    PortalRight(
        RequestType.PORTABILITY,
        _("Receive the data I gave in a machine-readable form (portability, Art. 20)"),
        _("Data portability (Art. 20)"),
        _(
            "You can receive the data you gave us in a structured, machine-readable form (JSON and "
            "CSV), where the processing is based on consent or a contract."
        ),
    ),
    PortalRight(
        RequestType.OBJECTION,
        _("Object to processing, such as direct marketing (Art. 21)"),
        _("Object to processing (Art. 21)"),
        _(
            "You can object to processing based on our legitimate interests on grounds relating to "
            "your situation, and to direct marketing at any time; after an objection to direct "
            "marketing we no longer market to you."
        ),
    ),
    PortalRight(
        RequestType.CONSENT_WITHDRAWAL,
        _("Withdraw my consent (Art. 7)"),
        _("Withdraw your consent (Art. 7)"),
        _(
            "Where we process your data on your consent, you can withdraw it at any time. Processing "
            "before the withdrawal stays lawful."
        ),
    ),
)


class PortalRequestForm(RightsForm):
    type = forms.ChoiceField(
        label=_("What do you want to do?"),
        choices=[(right.type, right.choice) for right in PORTAL_RIGHTS],
        widget=forms.RadioSelect,
    )
    email = forms.CharField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_("We send a confirmation link to this address. Use the address we know you by."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    details = forms.CharField(
        label=_("Details (optional)"),
        max_length=5000,
        required=False,
        help_text=_("For example, which data is wrong and what it should say, or what you object to."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_email(self):
        email = normalized_email(self.cleaned_data.get("email", ""))
        if not email:
            raise ValidationError(gettext("Enter your e-mail address."))
        return email


# --- Newsletter pages (rekisteri.public.views.newsletter) ---


class SubscribeForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("E-mail address"), max_length=254)


class PreferenceLinkForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)


class TrainingResultsForm(forms.Form):
    """The address to which the link to a student's own training results goes."""

    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)
