"""Announcing a significant notice change by mail (section 12), in the background.

`notice_announce` is enqueued by version_publish in the publication's transaction and run by
`rekisteri worker`. It walks the persons in batches, queues one mail per address through the
outbox (each with its own delivery record) and can run again after a crash: persons already
mailed about the version are skipped.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import Action, audit_record
from rekisteri.keystore.services import ciphers_for, key_scope
from rekisteri.notice.models import NoticeVersion
from rekisteri.outbox.models import OutgoingMail
from rekisteri.outbox.services import mail_enqueue, notice_url, render_mail
from rekisteri.people.models import Person
from rekisteri.rights.models import DataSubjectRequest

logger = logging.getLogger("rekisteri.notice")

BATCH = 500
KIND = "notice_announcement"
ABOUT = "notice_version"
# Telling people how their data is processed is the controller's own obligation (Art. 12-14).
PURPOSE = "rights_and_obligations"


def person_languages(person_ids: list[Any]) -> dict[str, str]:
    """The language to write to each person in: that of their latest request to us (the
    portal records it), else the register's default. The register keeps no other language."""
    languages: dict[str, str] = {}
    rows = (
        DataSubjectRequest.objects.filter(person_id__in=person_ids)
        .order_by("person_id", "created_at")
        .values_list("person_id", "language")
    )
    for person_id, language in rows:  # the newest last, so it wins
        if language in dict(settings.LANGUAGES):
            languages[str(person_id)] = language
    return languages


def _batches():
    last = None
    while True:
        query = Person.objects.order_by("pk").only("id", "email")
        if last is not None:
            query = query.filter(pk__gt=last)
        page = list(query[:BATCH])
        if not page:
            return
        yield page
        last = page[-1].pk


def _mails(version: NoticeVersion) -> dict[str, tuple[str, str, str]]:
    context = {
        "version": version,
        "summary": version.summary,
        "effective_on": version.effective_on,
    }
    mails = {}
    for language in ("fi", "en"):
        url = f"{notice_url(language)}?version={version.number}"
        mails[language] = render_mail("notice/mail/announcement", {**context, "version_url": url}, language)
    return mails


def announce_version(version_id: int) -> int:
    """Queue the announcement of one published version to every person with an address."""
    version = NoticeVersion.objects.get(pk=version_id)
    actor = Actor.system("task:notice_announce", origin="task")
    mails = _mails(version)
    queued = 0
    with key_scope():
        for page in _batches():
            ids = [person.pk for person in page]
            ciphers_for(ids)
            done = set(
                OutgoingMail.objects.filter(
                    about_type=ABOUT, about_id=str(version.pk), person_id__in=ids
                ).values_list("person_id", flat=True)
            )
            languages = person_languages(ids)
            # Art. 14(3)(b): an announcement is a communication; who of the page is still owed
            # the information (mailed just before it) is found in one query for the page.
            from rekisteri.notice.first_communication import owed_among

            with transaction.atomic(), owed_among(ids):
                mailed = []
                for person in page:
                    if person.pk in done or not person.email:
                        continue
                    language = languages.get(str(person.pk), settings.LANGUAGE_CODE)
                    subject, text, html = mails[language]
                    mail_enqueue(
                        to=person.email,
                        subject=subject,
                        text=text,
                        html=html,
                        kind=KIND,
                        language=language,
                        purpose=PURPOSE,
                        about=(ABOUT, version.pk),
                        person_id=person.pk,
                    )
                    mailed.append(person.pk)
                # One event per batch: the addresses read, by person id.
                audit_record(
                    actor=actor,
                    action=Action.VIEW,
                    object_type=ABOUT,
                    object_ids=[version.pk],
                    person_ids=mailed,
                    purpose=PURPOSE,
                    detail={"event": "notice_announce", "number": version.number, "queued": len(mailed)},
                )
            queued += len(mailed)
    total = OutgoingMail.objects.filter(about_type=ABOUT, about_id=str(version.pk)).count()
    # A queryset update: the version itself is immutable, this is its announcement's record.
    NoticeVersion.objects.filter(pk=version.pk).update(announced_at=timezone.now(), announced_count=total)
    logger.info("notice version %s announced: %s mails queued", version.number, queued)
    return queued


@task()
def notice_announce(version_id: int) -> int:
    return announce_version(version_id)
