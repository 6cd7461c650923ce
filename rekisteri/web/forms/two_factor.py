"""The second factor's forms: a code from the app, or a backup code."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from rekisteri.web.forms import StaffForm


class TwoFactorCodeForm(StaffForm):
    token = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_("The six digits your authenticator app shows now, or one of your backup codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class TwoFactorSetupForm(StaffForm):
    token = forms.CharField(
        label=_("Code from the app"),
        max_length=10,
        help_text=_("After adding the account to the app, type the six digits it shows."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )
