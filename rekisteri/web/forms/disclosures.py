"""The form of a disclosure to an authority (section 6), recorded by the privacy officer."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from rekisteri.privacy.authority_disclosure import authorities
from rekisteri.privacy.registry import personal_data_models
from rekisteri.web.forms import StaffForm


def _category_choices() -> list[tuple[str, str]]:
    categories = sorted({category for entry in personal_data_models() for category in entry.categories})
    return [(category, category) for category in categories]


class AuthorityDisclosureForm(StaffForm):
    recipient = forms.TypedChoiceField(label=_("Authority"), coerce=int)
    authority_name = forms.CharField(
        label=_("Which authority"),
        max_length=200,
        required=False,
        help_text=_("For example the police department or the court; leave empty for the register's name."),
    )
    legal_reference = forms.CharField(
        label=_("Legal basis"),
        max_length=300,
        help_text=_(
            "The statute or the authority's decision that requires the disclosure, with its reference."
        ),
    )
    categories = forms.MultipleChoiceField(
        label=_("Data disclosed"), widget=forms.CheckboxSelectMultiple, choices=()
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient"].choices = [(r.pk, r.name) for r in authorities()]
        self.fields["categories"].choices = _category_choices()
