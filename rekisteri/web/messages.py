"""Finnish for the services' English error messages.

The services and normalisers speak English to every caller (API, CLI, UI). The UI shows
their messages in the user's language: the exact messages are listed here with
gettext_noop so makemessages collects them, and messages that carry a value are matched
by their beginning.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

EXACT = (
    gettext_noop("This field is required."),
    gettext_noop("Unknown field."),
    gettext_noop("No such organization."),
    gettext_noop("Unknown purpose."),
    gettext_noop("A legitimate interest must name its connection with the person."),
    gettext_noop("The end date cannot be before the start date."),
    gettext_noop("Enter the organization's name."),
    gettext_noop("The name can be at most 200 characters."),
    gettext_noop("The country must be a two-letter code such as FI."),
    gettext_noop("Choose the group company that owns the relationship."),
    gettext_noop("Another organization already has this business ID."),
    gettext_noop("Write what happened."),
    gettext_noop("An interaction cannot be in the future."),
    gettext_noop("Enter an e-mail address."),
    gettext_noop("Enter a phone number."),
    gettext_noop("Enter a valid phone number, for example 040 772 3002 or +358 40 772 3002."),
    gettext_noop("This phone number is not valid. Check the digits and the country code."),
    gettext_noop("Enter a business ID."),
    gettext_noop("The country must be a two-letter code such as FI or SE."),
    gettext_noop("A foreign business ID must be 2-32 letters, digits, dots, dashes or slashes."),
    gettext_noop(
        "This is not a valid Finnish business ID (Y-tunnus): use the form 1234567-8 "
        "with a correct check digit."
    ),
)

# (beginning of the English message, message shown instead)
PREFIXES = (
    (
        "Enter a valid e-mail address",
        gettext_noop("Enter a valid e-mail address, for example anna.virtanen@example.fi."),
    ),
    ("This is not a valid VAT number", gettext_noop("This is not a valid VAT number for the country given.")),
    ("At most ", gettext_noop("The text is too long.")),
    ("Choose one of", gettext_noop("Choose one of the options.")),
    ("Unknown category", gettext_noop("Choose one of the options.")),
)


def translate_service_message(message: str) -> str:
    message = str(message)
    if message in EXACT:
        return gettext(message)
    for prefix, replacement in PREFIXES:
        if message.startswith(prefix):
            return gettext(replacement)
    return message
