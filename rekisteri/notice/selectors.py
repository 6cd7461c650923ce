"""Reading the notice: the live rendering, the version in force, versions and their diffs.

Nothing here is personal data (the notice is public), so reads are not audited.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.errors import ServiceError
from rekisteri.notice import document
from rekisteri.notice.facts import build_facts
from rekisteri.notice.models import NoticeVersion, VersionStatus

LANGUAGES = ("fi", "en")


@dataclass
class Rendering:
    """The notice in both languages and for machines, as stored in a version."""

    document: dict[str, Any]
    facts: dict[str, Any]
    text_fi: str
    text_en: str

    def text(self, language: str) -> str:
        return self.text_en if language == "en" else self.text_fi


def notice_render() -> Rendering:
    """The notice as the live configuration states it now."""
    config = document.configuration()
    documents = {language: document.build(language, config) for language in LANGUAGES}
    return Rendering(
        document=documents,
        facts=build_facts(config),
        text_fi=document.as_text(documents["fi"]),
        text_en=document.as_text(documents["en"]),
    )


def version_rendering(version: NoticeVersion) -> Rendering:
    return Rendering(version.document, version.facts, version.text_fi, version.text_en)


def published_versions():
    return NoticeVersion.objects.filter(status=VersionStatus.PUBLISHED).order_by("-number")


def version_in_force(today: date | None = None) -> NoticeVersion | None:
    """The newest published version whose effective date has come (section 12)."""
    today = today or timezone.localdate()
    return published_versions().filter(effective_on__lte=today).order_by("-effective_on", "-number").first()


def versions_upcoming(today: date | None = None) -> list[NoticeVersion]:
    """Published versions announced but not yet in effect, soonest first."""
    today = today or timezone.localdate()
    return list(published_versions().filter(effective_on__gt=today).order_by("effective_on", "number"))


def draft_get() -> NoticeVersion | None:
    return NoticeVersion.objects.filter(status=VersionStatus.DRAFT).first()


def version_get(number: int) -> NoticeVersion | None:
    return published_versions().filter(number=number).first()


def version_previous(version: NoticeVersion) -> NoticeVersion | None:
    """The published version before this one (for a draft: the newest published)."""
    versions = published_versions()
    if version.number is not None:
        versions = versions.filter(number__lt=version.number)
    return versions.first()


def text_diff(old: str, new: str, *, old_label: str, new_label: str) -> list[str]:
    return list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), fromfile=old_label, tofile=new_label, lineterm="", n=1
        )
    )


def version_diff(version: NoticeVersion, language: str = "fi") -> list[str]:
    """The lines changed against the previous published version (everything for the first)."""
    previous = version_previous(version)
    attr = "text_en" if language == "en" else "text_fi"
    label = f"v{version.number}" if version.number else "draft"
    return text_diff(
        getattr(previous, attr) if previous else "",
        getattr(version, attr),
        old_label=f"v{previous.number}" if previous else "(none)",
        new_label=label,
    )


def draft_diff(language: str = "fi") -> list[str]:
    """What the live configuration would change against the newest published version."""
    previous = published_versions().first()
    live = notice_render()
    return text_diff(
        (previous.text_en if language == "en" else previous.text_fi) if previous else "",
        live.text(language),
        old_label=f"v{previous.number}" if previous else "(none)",
        new_label="live configuration",
    )


@dataclass
class PublicNotice:
    rendering: Rendering
    version: NoticeVersion | None  # None: no version published yet, the live configuration
    upcoming: list[NoticeVersion]


def sections_changed(old: dict[str, Any] | None, new: dict[str, Any]) -> list[int]:
    """The numbers of the sections whose content differs between two documents (one language)."""
    before = {section["number"]: section for section in (old or {}).get("sections", [])}
    return [
        section["number"] for section in new.get("sections", []) if before.get(section["number"]) != section
    ]


def upcoming_changes(notice: PublicNotice, language: str) -> list[tuple[NoticeVersion, list[int]]]:
    """Each upcoming version with the sections it changes against the one before it, so the
    page can say what is announced but not yet in effect (a new recipient, a new rule)."""
    previous = notice.rendering.document.get(language)
    changes = []
    for version in notice.upcoming:
        document = version.document.get(language, {})
        changes.append((version, sections_changed(previous, document)))
        previous = document
    return changes


def public_notice(today: date | None = None) -> PublicNotice:
    """What the public page shows: the version in force, else the live configuration."""
    version = version_in_force(today)
    rendering = version_rendering(version) if version else notice_render()
    return PublicNotice(rendering=rendering, version=version, upcoming=versions_upcoming(today))


def _stated_from(states, today: date | None) -> tuple[bool, NoticeVersion | None]:
    """(whether the version in force states it, or no version is in force yet; else the first
    upcoming version that states it, if any)."""
    in_force = version_in_force(today)
    if in_force is None or states(in_force):
        return True, None
    return False, next((version for version in versions_upcoming(today) if states(version)), None)


def purpose_not_yet_in_notice(slug: str, today: date | None = None) -> ServiceError | None:
    """Section 12: why processing for a purpose may not start yet, or None when it may.

    Before any version is in force the public page shows the live configuration, so every
    configured purpose is stated and nothing is refused."""
    stated, upcoming = _stated_from(lambda version: slug in _purposes_of(version), today)
    if stated:
        return None
    if upcoming is not None:
        return ServiceError(
            _(
                "The privacy notice states this purpose from version %(number)s, which takes effect on "
                "%(effective_on)s: processing for it starts then (section 12)."
            ),
            code="notice.purpose_upcoming",
            params={"number": upcoming.number, "effective_on": upcoming.effective_on.isoformat()},
        )
    return ServiceError(
        _(
            "The privacy notice in force does not state this purpose: publish a version that states it "
            "first (section 12)."
        ),
        code="notice.purpose_not_stated",
    )


def _purposes_of(version: NoticeVersion) -> set[str]:
    return {purpose["slug"] for purpose in version.facts.get("purposes", [])}


def recipient_not_yet_in_notice(kind: str, key: str, today: date | None = None) -> ServiceError | None:
    """Section 12: why data may not go to a recipient yet, or None when it may.

    `kind` "group_company" with the company's name, or "processor" with its service as the
    notice lists processors (section 6 names them by what they do). As for purposes, nothing
    is refused before any version is in force."""
    stated, upcoming = _stated_from(lambda version: key in _recipients_of(version, kind), today)
    if stated:
        return None
    if upcoming is not None:
        return ServiceError(
            _(
                "The privacy notice names this recipient from version %(number)s, which takes effect on "
                "%(effective_on)s: no data goes to it before then (section 12)."
            ),
            code="notice.recipient_upcoming",
            params={"number": upcoming.number, "effective_on": upcoming.effective_on.isoformat()},
        )
    return ServiceError(
        _(
            "The privacy notice in force does not name this recipient: publish a version that names it "
            "first (section 12)."
        ),
        code="notice.recipient_not_named",
    )


def _recipients_of(version: NoticeVersion, kind: str) -> set[str]:
    recipients = version.facts.get("recipients", {})
    if kind == "group_company":
        return {company["name"] for company in recipients.get("group_companies", [])}
    return {processor["fi"] for processor in recipients.get("processors", [])}


def retention_rules_announced(day: date) -> dict[str, str] | None:
    """Section 12: {rule code: period} as the version in force on `day` states them; None while
    no version is in force (the sweep then applies the live rules, as the page shows them)."""
    in_force = version_in_force(day)
    if in_force is None:
        return None
    rules = in_force.facts.get("retention", {}).get("rules", [])
    return {rule["code"]: rule["period"] for rule in rules if "code" in rule and "period" in rule}
