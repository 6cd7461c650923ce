"""Errors of lib's pure functions that a user may see: a stable code and an English message.

lib imports no Django, so it cannot translate; it marks each message for the catalogue with
`gettext_noop` and keeps the template and its parameters apart, so that the Django side can
show the message translated (rekisteri.errors.from_lib_error).
"""

from __future__ import annotations


def gettext_noop(message: str) -> str:
    """Marks a message for the translation catalogue (makemessages finds it by this name)."""
    return message


class CodedError(ValueError):
    """`code` for machines; `template` % `params` (str(error)) for people, in English."""

    def __init__(self, code: str, template: str, **params: object):
        self.code = code
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)
