"""`rekisteri dsr`: register and act on data-subject requests from the command line."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from rekisteri.audit.models import AuditEvent
from rekisteri.outbox.tests.helpers import deliver_outbox
from rekisteri.people.models import Person
from rekisteri.rights.models import DataSubjectRequest, Status, Verification
from rekisteri.rights.services import request_create, request_withdraw


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("dsr", *args, stdout=out)
    return out.getvalue()


def _request(actor, **fields) -> DataSubjectRequest:
    fields.setdefault("type", "access")
    fields.setdefault("channel", "letter")
    fields.setdefault("verification", Verification.ID_DOCUMENT)
    return request_create(actor=actor, **fields)


# --- add ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_add_registers_a_letter_and_prints_its_reference_and_due_date():
    output = _run(
        "add",
        "--type",
        "erasure",
        "--email",
        "kirjoittaja@example.fi",
        "--channel",
        "letter",
        "--received",
        "2024-01-31",
        "--name",
        "Kirsi Kirjoittaja",
        "--verified-by",
        "id_document",
        "--verification-note",
        "Passport copy enclosed.",
        "--language",
        "en",
    )
    request = DataSubjectRequest.objects.get()
    assert f"Registered {request.reference} (id {request.pk})" in output
    assert "Due on 2024-02-29." in output  # a leap year
    assert (request.type, request.channel, request.language) == ("erasure", "letter", "en")
    assert request.status == Status.NEW
    assert request.requester_email == "kirjoittaja@example.fi"
    assert request.verification_note == "Passport copy enclosed."
    event = AuditEvent.objects.get(action="create", object_type="rights_request")
    assert (event.origin, event.actor_label) == ("cli", "cli:dsr")


@pytest.mark.django_db
def test_add_without_verification_leaves_the_request_waiting():
    output = _run("add", "--type", "access", "--channel", "phone")
    request = DataSubjectRequest.objects.get()
    assert request.status == Status.AWAITING_VERIFICATION
    assert request.received_on == timezone.localdate()
    assert f"Due on {request.due_on.isoformat()}." in output


@pytest.mark.django_db
def test_add_links_the_person_named(person):
    _run("add", "--type", "restriction", "--channel", "phone", "--person", str(person.pk))
    assert DataSubjectRequest.objects.get().person_id == person.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--type", "complaint", "--channel", "letter"], "invalid choice: 'complaint'"),
        (["--type", "access", "--channel", "fax"], "invalid choice: 'fax'"),
        (["--channel", "letter"], "the following arguments are required: --type"),
        (["--type", "access", "--channel", "email"], "email: "),
        (["--type", "access", "--channel", "letter", "--email", "no-at"], "email: "),
        (["--type", "access", "--channel", "letter", "--received", "31.1.2025"], "YYYY-MM-DD"),
        (["--type", "access", "--channel", "letter", "--received", "2999-01-01"], "received_on: "),
        (["--type", "access", "--channel", "letter", "--verified-by", "guess"], "invalid choice: 'guess'"),
        (["--type", "access", "--channel", "letter", "--verification-note", "x"], "--verified-by"),
        (["--type", "access", "--channel", "letter", "--person", "nobody"], "UUID"),
        (
            ["--type", "access", "--channel", "letter", "--person", "00000000-0000-0000-0000-000000000000"],
            "No person",
        ),
        (["--type", "access", "--channel", "letter", "--language", "sv"], "invalid choice: 'sv'"),
    ],
)
def test_add_refuses_bad_arguments_and_writes_nothing(args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        _run("add", *args)
    assert not DataSubjectRequest.objects.exists()
    assert not AuditEvent.objects.exists()


# --- list and show -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_open_requests_by_due_date_and_flags_the_overdue(system_actor):
    today = timezone.localdate()
    overdue = _request(system_actor, received_on=today - timedelta(days=40), type="erasure")
    fresh = _request(system_actor, received_on=today, email="salainen@example.fi", name="Salla Salainen")
    closed = request_withdraw(actor=system_actor, request=_request(system_actor, received_on=today))
    output = _run("list")
    lines = output.splitlines()
    assert lines[0].startswith(overdue.reference) and "OVERDUE" in lines[0]
    assert lines[1].startswith(fresh.reference) and "OVERDUE" not in lines[1]
    assert closed.reference not in output
    assert lines[-1] == "2 request(s)."
    assert "Salla" not in output and "salainen" not in output  # the list carries no personal values
    assert closed.reference in _run("list", "--all")
    only_overdue = _run("list", "--overdue")
    assert overdue.reference in only_overdue and fresh.reference not in only_overdue
    events = AuditEvent.objects.filter(action="list", object_type="rights_request", origin="cli")
    assert events.count() == 3


@pytest.mark.django_db
def test_list_refuses_open_and_all_together():
    with pytest.raises(CommandError, match="not allowed with argument"):
        _run("list", "--open", "--all")


@pytest.mark.django_db
def test_show_by_reference_or_id_prints_the_values_and_is_audited(system_actor):
    request = _request(
        system_actor,
        received_on=date(2025, 1, 31),
        email="pyytaja@example.fi",
        name="Pekka Pyytäjä",
        details="Kaikki tiedot.",
    )
    text = _run("show", request.reference.lower())
    assert request.reference in text
    assert "Pekka Pyytäjä <pyytaja@example.fi>" in text
    assert "due:           2025-02-28" in text
    data = json.loads(_run("show", str(request.pk), "--json"))
    assert data["id"] == str(request.pk)
    assert data["requester_email"] == "pyytaja@example.fi"
    assert data["due_on"] == "2025-02-28"
    assert data["overdue"] is (timezone.localdate() > date(2025, 2, 28))
    views = AuditEvent.objects.filter(action="view", object_type="rights_request", origin="cli")
    assert views.count() == 2
    assert all("Pekka" not in event.detail for event in views)


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["PR-NOPE00", "00000000-0000-0000-0000-000000000000", "x"])
def test_show_of_an_unknown_request_fails(value):
    with pytest.raises(CommandError, match="No request"):
        _run("show", value)
    assert not AuditEvent.objects.exists()


# --- verify, extend, refuse, fulfil ----------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_records_the_method(system_actor):
    request = _request(system_actor, verification="", channel="phone")
    output = _run("verify", request.reference, "--method", "phone_callback", "--note", "Called back.")
    request.refresh_from_db()
    assert request.status == Status.NEW
    assert request.verification == Verification.PHONE_CALLBACK
    assert "status new" in output
    with pytest.raises(CommandError, match="invalid choice"):
        _run("verify", request.reference, "--method", "hunch")


@pytest.mark.django_db
def test_extend_moves_the_due_date_and_records_how_the_requester_was_told(system_actor):
    request = _request(system_actor, received_on=date(2025, 1, 31))
    output = _run(
        "extend", request.reference, "--months", "2", "--reason", "Archives.", "--notified", "2025-02-10"
    )
    request.refresh_from_db()
    assert (request.extension_months, request.due_on) == (2, date(2025, 4, 30))
    assert request.extension_notified_on == date(2025, 2, 10)
    assert request.extension_notified_via == "letter"  # by default the way the request came
    assert "due on 2025-04-30" in output


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--months", "1", "--reason", "x", "--notified", "2025-03-01"], "first month"),
        (["--months", "3", "--reason", "x", "--notified", "2025-02-01"], "at most 2"),
        (["--months", "1", "--reason", " ", "--notified", "2025-02-01"], "reasons"),
        (["--months", "one", "--reason", "x", "--notified", "2025-02-01"], "invalid int value"),
        (["--months", "1", "--reason", "x", "--notified", "1.2.2025"], "YYYY-MM-DD"),
        (["--months", "1", "--reason", "x", "--notified", "2025-02-01", "--via", "portal"], "invalid choice"),
        (["--months", "1", "--reason", "x"], "one of the arguments --notified --mail is required"),
    ],
)
def test_extend_refuses_what_breaks_article_12_3(system_actor, args, message):
    request = _request(system_actor, received_on=date(2025, 1, 31))
    with pytest.raises(CommandError, match=message):
        _run("extend", request.reference, *args)
    request.refresh_from_db()
    assert (request.extension_months, request.due_on) == (0, date(2025, 2, 28))


@pytest.mark.django_db
def test_refuse_records_the_reasons_and_mails_them(system_actor):
    request = _request(system_actor, email="pyytaja@example.fi")
    output = _run("refuse", request.reference, "--reason", "Asked every day.", "--kind", "excessive")
    request.refresh_from_db()
    assert (request.status, request.refusal_kind, request.decision) == (
        Status.REFUSED,
        "excessive",
        "Asked every day.",
    )
    assert "mail with the reasons and the complaint route is queued for the requester" in output
    assert [m.to for m in deliver_outbox()] == [["pyytaja@example.fi"]]
    with pytest.raises(CommandError, match="cannot become “Refused”"):
        _run("refuse", request.reference, "--reason", "Again.")


@pytest.mark.django_db
def test_refuse_without_an_address_says_to_send_a_letter(system_actor):
    request = _request(system_actor)
    output = _run("refuse", request.reference, "--reason", "Not the data subject.")
    assert "by letter" in output
    request.refresh_from_db()
    assert request.refusal_kind == "other"


@pytest.mark.django_db
def test_fulfil_refuses_an_unverified_request(system_actor):
    request = _request(system_actor, verification="")
    with pytest.raises(CommandError, match="verification: "):
        _run("fulfil", request.reference)
    request.refresh_from_db()
    assert request.status == Status.AWAITING_VERIFICATION


@pytest.mark.django_db
def test_fulfil_dry_run_changes_nothing(system_actor, person):
    request = _request(system_actor, type="erasure", person_id=person.pk)
    output = _run("fulfil", request.reference, "--dry-run")
    assert "Dry run: nothing changed." in output
    assert Person.objects.filter(pk=person.pk).exists()
    request.refresh_from_db()
    assert request.status == Status.NEW


@pytest.mark.django_db
def test_fulfil_an_erasure(system_actor, person):
    request = _request(system_actor, type="erasure", person_id=person.pk, email="anna.virtanen@testi.fi")
    output = _run("fulfil", request.reference)
    request = DataSubjectRequest.objects.get(pk=request.pk)
    assert request.status == Status.FULFILLED
    assert request.person_id is None
    assert not Person.objects.filter(pk=person.pk).exists()
    assert f"{request.reference}: erasure request, status fulfilled." in output
    # The request's own values went with the person; the record itself stays, readable.
    shown = _run("show", request.reference)
    assert "status:        fulfilled" in shown
    assert "erased with the person" in shown
    assert "anna" not in shown
    assert json.loads(_run("show", request.reference, "--json"))["values_erased"] is True


@pytest.mark.django_db
def test_fulfil_a_rectification_with_set(system_actor, person):
    request = _request(system_actor, type="rectification", person_id=person.pk)
    with pytest.raises(CommandError, match="FIELD=VALUE"):
        _run("fulfil", request.reference, "--set", "shoe_size=42")
    _run("fulfil", request.reference, "--set", "title=Ostopäällikkö")
    person.refresh_from_db()
    assert person.title == "Ostopäällikkö"
    request.refresh_from_db()
    assert request.status == Status.FULFILLED


# --- exit codes of the real command line ---------------------------------------------------------------


def _cli(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REKISTERI_ENV"}}
    env.update(REKISTERI_DATA_DIR=str(tmp_path))
    return subprocess.run(
        [sys.executable, "-m", "rekisteri.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["dsr"], 2, "the following arguments are required: {add,list,show"),
        (["dsr", "add", "--type", "complaint", "--channel", "letter"], 2, "invalid choice: 'complaint'"),
        (
            ["dsr", "add", "--type", "access", "--channel", "letter", "--received", "1.2.2025"],
            1,
            "YYYY-MM-DD",
        ),
        (
            ["dsr", "extend", "PR-X", "--months", "1", "--reason", "x"],
            2,
            "one of the arguments --notified --mail is required",
        ),
    ],
)
def test_bad_arguments_exit_non_zero_with_a_message(tmp_path, args, code, message):
    result = _cli(tmp_path, *args)
    assert result.returncode == code, result.stderr
    assert message in result.stderr
