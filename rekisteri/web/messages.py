"""Finnish for the services' English error messages.

The services and normalisers speak English to every caller (API, CLI, UI). The UI shows
their messages in the user's language: the exact messages are listed here with
gettext_noop so makemessages collects them; messages that carry the user's value are
listed as templates and matched whole, the value carried over; others are matched by
their beginning.
"""

from __future__ import annotations

import re

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
    gettext_noop("Another person in the register has this e-mail address."),
    gettext_noop("Another person in the register has this phone number."),
    gettext_noop("A person cannot be merged with themselves."),
    gettext_noop("Name only purposes for which the merged person has a legal basis."),
    gettext_noop("No such person."),
    gettext_noop(
        "Processing of this person's data is restricted (GDPR Art. 18): it is only stored "
        "until the privacy officer lifts the restriction."
    ),
    gettext_noop("The country must be a two-letter code such as FI or SE."),
    gettext_noop("A foreign business ID must be 2-32 letters, digits, dots, dashes or slashes."),
    gettext_noop("Change your own password on the password page."),
    gettext_noop("Only a staff member's password can be reset here."),
    gettext_noop("The account is not active."),
    gettext_noop("This authenticator is already in use."),
    gettext_noop("You cannot deactivate your own account."),
    gettext_noop("A newer version of the instructions exists: read that one."),
    gettext_noop("Choose a level."),
    gettext_noop("Choose a decision."),
    gettext_noop("Name the owner."),
    gettext_noop("Give the review date."),
    gettext_noop("The code is not correct. Check the app and the clock of your phone."),
    gettext_noop("Set up the authenticator app first."),
    gettext_noop("Ask the privacy officer or an administrator to reset your second factor."),
    # The student register (training.services).
    gettext_noop("A grade once given is changed only with a reason."),
    gettext_noop("A certificate is issued only for a passed course."),
    gettext_noop("A certificate has already been issued for this enrollment."),
    gettext_noop("The person is already enrolled in this course instance."),
    gettext_noop("The course instance is full."),
    gettext_noop("A cancelled enrollment is not graded."),
    gettext_noop("A completion date cannot be in the future."),
    gettext_noop("A course with this code exists."),
    gettext_noop("Give the place, or mark the course online."),
    gettext_noop("The course cannot end before it starts."),
    gettext_noop("Name yourself among the trainers."),
    gettext_noop("Name the license body that requires birth dates."),
    gettext_noop(
        "The training report goes only to a contact person of the organization under which the "
        "students attended (privacy notice, section 6): choose a customer representative of this "
        "organization."
    ),
    gettext_noop("The contact person has no e-mail address."),
    gettext_noop("Give a birth date between 1900 and today."),
    gettext_noop("The organization has nobody in its training report."),
    gettext_noop(
        "A birth date is stored only when another person in the register has the same name or the "
        "license body of a course the person attends requires it (privacy notice, section 4); neither "
        "applies to this person."
    ),
    # The notice's configuration (privacy.configuration).
    gettext_noop("A purpose with this code exists already."),
    gettext_noop("Legal bases are recorded for this purpose: it cannot be removed."),
    gettext_noop("A retention rule names this purpose: it cannot be removed."),
    gettext_noop("Name the company."),
    gettext_noop("A group company or recipient already has this name."),
    gettext_noop("Another group company already has this name."),
    gettext_noop("The controller cannot be removed from the notice."),
    gettext_noop("Data has been disclosed to this company (Art. 19 needs the record): it stays."),
    gettext_noop("A processor or an authority; a group company is added as one."),
    gettext_noop("A group company is renamed as a group company."),
    gettext_noop("A group company is removed as a group company."),
    gettext_noop("Data has been disclosed to this recipient: switch it off instead."),
    # Retention rules (retention.services, retention.models).
    gettext_noop("A rule with this code exists already."),
    gettext_noop("The ceiling rule keeps the notice's two-year promise."),
    gettext_noop("Every rule states its legal reason."),
    gettext_noop("Request records, and only they, run from the request's closure."),
)

# Messages that carry the user's own value: the English template, as the service fills it in.
TEMPLATES = (
    gettext_noop("The check digit of the business ID (Y-tunnus) %(value)s does not match: check the digits."),
    gettext_noop(
        "%(value)s is not in the form of a Finnish business ID (Y-tunnus): seven digits, "
        "a dash and a check digit, for example 0154088-5."
    ),
    gettext_noop("No such group company."),
    gettext_noop("No such staff member."),
    gettext_noop("Give a positive whole number."),
    gettext_noop("Unknown filter."),
    gettext_noop("Choose the purpose or the legal basis whose state to filter by."),
    gettext_noop("Name the recipient: a group company or a processor."),
    gettext_noop("Name one recipient: a group company or a processor, not both."),
    gettext_noop("There is nobody to export on this list."),
)


def _template_pattern(template: str) -> re.Pattern:
    parts = re.split(r"%\((\w+)\)s", template)
    # split() alternates literal text and placeholder names.
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+)" for i, part in enumerate(parts))
    return re.compile(regex, re.DOTALL)


_TEMPLATE_PATTERNS = [(_template_pattern(template), template) for template in TEMPLATES]

# (beginning of the English message, message shown instead)
PREFIXES = (
    (
        "Enter a valid e-mail address",
        gettext_noop("Enter a valid e-mail address, for example anna.virtanen@example.fi."),
    ),
    ("This is not a valid VAT number", gettext_noop("This is not a valid VAT number for the country given.")),
    ("At most ", gettext_noop("The text is too long.")),
    ("not an ISO 8601 period", gettext_noop("Give the period in ISO 8601, for example P2Y or P6M.")),
    (
        "Longer than ",
        gettext_noop("A period longer than two years needs a statute (section 7): mark the rule statutory."),
    ),
    ("Choose one of", gettext_noop("Choose one of the options.")),
    ("Unknown category", gettext_noop("Choose one of the options.")),
    ("On this course's scale", gettext_noop("Choose a grade on the course's scale.")),
    ("The grade ", gettext_noop("The grade and whether it passes disagree.")),
    ("Not an active trainer", gettext_noop("Choose trainers among the active trainers.")),
    (
        "An export needs a list of at most",
        gettext_noop("This list is too long to export: narrow it with filters or a search."),
    ),
    (
        "The person may not be deleted while the register must keep their data",
        gettext_noop(
            "The person may not be deleted while the register must keep their data (GDPR Art. 17(3)); "
            "the reasons are listed above. The privacy officer may delete anyway, stating the reasons."
        ),
    ),
    (
        "Sorting this way needs a list of at most",
        gettext_noop("This list is too long to sort this way: narrow it with filters or a search."),
    ),
)


def translate_service_message(message: str) -> str:
    message = str(message)
    if message in EXACT:
        return gettext(message)
    for pattern, template in _TEMPLATE_PATTERNS:
        match = pattern.fullmatch(message)
        if match:
            return gettext(template) % match.groupdict()
    for prefix, replacement in PREFIXES:
        if message.startswith(prefix):
            return gettext(replacement)
    return message
