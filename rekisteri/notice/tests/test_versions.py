"""Section 12: immutable versions with effective dates, diffs, the lead time of a significant
change and its announcement by mail to every person with an address, in their language."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone, translation

from rekisteri.audit.models import AuditEvent
from rekisteri.notice.models import NoticeVersion
from rekisteri.notice.selectors import version_diff, version_in_force
from rekisteri.notice.services import controller_update, version_publish
from rekisteri.notice.tasks import announce_version
from rekisteri.outbox.models import OutgoingMail
from rekisteri.outbox.selectors import mail_values
from rekisteri.people.services import person_create
from rekisteri.rights.services import request_create

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def _login(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_a_published_version_is_in_force_from_its_date_and_never_changes(system_actor):
    version = version_publish(actor=system_actor, effective_on=today(), summary="First published version")
    assert version.number == 1 and version.is_published
    assert version_in_force() == version
    version.summary = "rewritten"
    with pytest.raises(ValueError, match="cannot be changed"):
        version.save()
    version.refresh_from_db()
    assert version.summary == "First published version"
    data = Client().get("/tietosuojaseloste/?format=json").json()
    assert data["version"]["number"] == 1
    assert "Versio 1, voimassa" in Client().get("/tietosuojaseloste/").content.decode()


def test_publishing_needs_a_summary_and_a_change(system_actor):
    with translation.override("en"), pytest.raises(ValidationError, match="summary"):
        version_publish(actor=system_actor, effective_on=today(), summary="  ")
    version_publish(actor=system_actor, effective_on=today(), summary="First")
    with translation.override("en"), pytest.raises(ValidationError, match="Nothing to publish"):
        version_publish(actor=system_actor, effective_on=today(), summary="Again")
    assert NoticeVersion.objects.count() == 1


def test_a_significant_change_before_the_lead_time_is_refused_with_the_rule(system_actor):
    too_early = today() + timedelta(days=29)
    with pytest.raises(ValidationError) as refused:
        version_publish(actor=system_actor, effective_on=too_early, summary="New purpose", significant=True)
    with translation.override("en"):
        message = " ".join(refused.value.messages)
    assert "no sooner than 30 days" in message
    assert (today() + timedelta(days=30)).isoformat() in message
    assert not NoticeVersion.objects.filter(status="published").exists()
    version = version_publish(
        actor=system_actor, effective_on=today() + timedelta(days=30), summary="New purpose", significant=True
    )
    assert version.significant


def test_the_lead_time_is_configurable(system_actor, settings):
    settings.NOTICE_LEAD_DAYS = 10
    with translation.override("en"), pytest.raises(ValidationError, match="no sooner than 10 days"):
        version_publish(
            actor=system_actor, effective_on=today() + timedelta(days=9), summary="x", significant=True
        )
    version_publish(
        actor=system_actor, effective_on=today() + timedelta(days=10), summary="x", significant=True
    )


def test_a_past_date_or_one_before_the_newest_version_is_refused(system_actor):
    with translation.override("en"), pytest.raises(ValidationError, match="past"):
        version_publish(actor=system_actor, effective_on=today() - timedelta(days=1), summary="x")
    version_publish(actor=system_actor, effective_on=today() + timedelta(days=5), summary="x")
    controller_update(actor=system_actor, values={"city": "Espoo"})
    with translation.override("en"), pytest.raises(ValidationError, match="cannot take effect before it"):
        version_publish(actor=system_actor, effective_on=today() + timedelta(days=4), summary="y")


def test_an_announced_version_waits_while_the_old_one_stays_in_force(system_actor):
    first = version_publish(actor=system_actor, effective_on=today(), summary="First")
    controller_update(actor=system_actor, values={"city": "Espoo"})
    second = version_publish(
        actor=system_actor,
        effective_on=today() + timedelta(days=30),
        summary="We move to Espoo",
        significant=True,
    )
    assert version_in_force() == first
    page = Client().get("/tietosuojaseloste/").content.decode()
    assert "We move to Espoo" in page and "Versio 2 tulee voimaan" in page
    assert "FI-33901 Tampere" in page  # the text in force is still the first version's
    assert "Espoo" in Client().get(f"/tietosuojaseloste/?version={second.number}").content.decode()
    assert version_in_force(today() + timedelta(days=30)) == second


def test_the_diff_shows_what_changed_against_the_previous_version(system_actor, cast):
    version_publish(actor=system_actor, effective_on=today(), summary="First")
    controller_update(actor=system_actor, values={"city": "Espoo"})
    second = version_publish(actor=system_actor, effective_on=today(), summary="Moved")
    lines = version_diff(second, "fi")
    assert "-Osoite: Sarankulmankatu 20, FI-33901 Tampere" in lines
    assert "+Osoite: Sarankulmankatu 20, FI-33901 Espoo" in lines
    assert "+Address: Sarankulmankatu 20, FI-33901 Espoo" in version_diff(second, "en")
    page = _login(cast.privacy_officer).get("/notice/versions/2/").content.decode()
    assert "<ins>+Osoite: Sarankulmankatu 20, FI-33901 Espoo</ins>" in page
    assert _login(cast.privacy_officer).get("/notice/versions/9/").status_code == 404


def test_a_significant_change_is_mailed_to_every_person_with_an_address_in_their_language(
    system_actor, person, student, organization
):
    person_create(actor=system_actor, first_name="Ei", last_name="Osoitetta", organization=organization)
    request_create(
        actor=system_actor,
        type="access",
        channel="email",
        email=student.email,
        language="en",
        person_id=student.pk,
    )
    version = version_publish(
        actor=system_actor,
        effective_on=today() + timedelta(days=30),
        summary="A new purpose",
        significant=True,
    )
    mails = {mail.person_id: mail for mail in OutgoingMail.objects.filter(kind="notice_announcement")}
    assert set(mails) == {person.pk, student.pk}
    assert mails[person.pk].language == "fi" and mails[student.pk].language == "en"
    assert all(
        mail.about_type == "notice_version" and mail.about_id == str(version.pk) for mail in mails.values()
    )
    assert mail_values(mails[person.pk])["to_address"] == "anna.virtanen@testi.fi"
    finnish = mails[person.pk].body_text
    assert "A new purpose" in finnish and "tulee voimaan" in finnish
    assert f"/tietosuojaseloste/?version={version.number}" in finnish
    english = mails[student.pk].body_text
    assert "takes effect on" in english and "/en/privacy-notice/" in english
    version.refresh_from_db()
    assert version.announced_at is not None and version.announced_count == 2
    # The addresses were read under an audit event naming the persons, never the addresses.
    event = AuditEvent.objects.filter(object_type="notice_version", action="view").latest("seq")
    assert json.loads(event.detail)["queued"] == 2
    assert "anna.virtanen" not in event.detail


def test_announcing_again_after_a_crash_sends_nobody_a_second_mail(system_actor, person):
    version = version_publish(
        actor=system_actor, effective_on=today() + timedelta(days=30), summary="x", significant=True
    )
    assert announce_version(version.pk) == 0
    assert OutgoingMail.objects.filter(kind="notice_announcement").count() == 1


def test_a_minor_change_is_not_mailed(system_actor, person):
    version_publish(actor=system_actor, effective_on=today(), summary="Typo")
    assert not OutgoingMail.objects.filter(kind="notice_announcement").exists()


def test_the_version_page_shows_the_delivery_records(system_actor, person, cast):
    version_publish(
        actor=system_actor, effective_on=today() + timedelta(days=30), summary="x", significant=True
    )
    page = _login(cast.privacy_officer).get("/notice/versions/1/").content.decode()
    assert "queued: 1" in page


def test_the_privacy_officer_publishes_from_the_staff_page(cast, person):
    client = _login(cast.privacy_officer)
    early = {"effective_on": today().isoformat(), "significant": "on", "summary": "New recipient"}
    response = client.post("/notice/publish/", early)
    assert response.status_code == 422
    assert "aikaisintaan 30 päivää" in response.content.decode()
    ok = {**early, "effective_on": (today() + timedelta(days=31)).isoformat()}
    response = client.post("/notice/publish/", ok)
    assert response.status_code == 302 and response["Location"] == "/notice/versions/1/"
    assert NoticeVersion.objects.get(number=1).published_by == cast.privacy_officer


def _notice(*args) -> str:
    out = StringIO()
    call_command("notice", *args, stdout=out)
    return out.getvalue()


def test_the_command_drafts_diffs_and_publishes(system_actor):
    assert "Draft updated" in _notice("draft")
    assert "+Nimi: Insta Group Oy" in _notice("diff")
    assert "+Name: Insta Group Oy" in _notice("diff", "--language", "en")
    assert "Published version 1" in _notice(
        "publish", "--effective", today().isoformat(), "--summary", "First"
    )
    assert "Nothing to draft" in _notice("draft")
    controller_update(actor=system_actor, values={"city": "Espoo"})
    effective = (today() + timedelta(days=30)).isoformat()
    output = _notice("publish", "--effective", effective, "--significant", "--summary", "Moved")
    assert "Published version 2" in output and "announcement is queued" in output
    assert "+Osoite: Sarankulmankatu 20, FI-33901 Espoo" in _notice("diff", "--version", "2")


def test_the_command_refuses_bad_input_with_the_rule(system_actor):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        _notice("publish", "--effective", "ensi kuussa", "--summary", "x")
    with pytest.raises(CommandError, match="no sooner than 30 days"):
        _notice("publish", "--effective", today().isoformat(), "--significant", "--summary", "x")
    with pytest.raises(CommandError, match="No published version 4"):
        _notice("diff", "--version", "4")
    assert not NoticeVersion.objects.filter(status="published").exists()
