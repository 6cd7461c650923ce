import io
import os
import subprocess
import sys
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from rekisteri.accounts.models import StaffProfile
from rekisteri.audit.models import AuditEvent

PASSWORD = "a long and unusual passphrase 93"


@pytest.fixture
def password_env(monkeypatch):
    monkeypatch.setenv("REKISTERI_PASSWORD", PASSWORD)


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("createstaff", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_creates_a_staff_member_in_the_role_with_the_nda_date_and_audits_it(password_env):
    output = _run("--username", "sari.laine", "--role", "sales", "--nda-signed", "2025-01-31")

    user = get_user_model().objects.get(username="sari.laine")
    assert user.check_password(PASSWORD)
    assert user.staff_profile.role == "sales"
    assert user.staff_profile.nda_signed_on == date(2025, 1, 31)
    assert list(user.groups.values_list("name", flat=True)) == ["role:sales"]
    event = AuditEvent.objects.get(object_type="staff")
    assert (event.action, event.actor_label, event.origin) == ("create", "cli:createstaff", "cli")
    assert "Created staff member sari.laine (role sales, NDA signed 2025-01-31)" in output


@pytest.mark.django_db
def test_without_an_nda_date_it_warns_that_no_personal_data_is_visible(password_env):
    output = _run("--username", "uusi", "--role", "trainer")
    assert StaffProfile.objects.get(user__username="uusi").nda_signed_on is None
    assert "cannot see personal data" in output


@pytest.mark.django_db
def test_an_unknown_role_is_refused_and_nothing_is_created(password_env):
    with pytest.raises(CommandError, match="invalid choice: 'boss'"):
        _run("--username", "pomo", "--role", "boss")
    assert not get_user_model().objects.filter(username="pomo").exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["2025-13-01", "31.1.2025", "20250131", "yesterday", "2025-1-31"])
def test_a_malformed_nda_date_is_refused_and_nothing_is_created(password_env, value):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        _run("--username", "sari", "--role", "sales", "--nda-signed", value)
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_an_nda_date_in_the_future_is_refused(password_env):
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    with pytest.raises(CommandError, match="in the future"):
        _run("--username", "sari", "--role", "sales", "--nda-signed", tomorrow)
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_without_a_password_and_without_a_terminal_it_refuses(monkeypatch):
    monkeypatch.delenv("REKISTERI_PASSWORD", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="REKISTERI_PASSWORD"):
        _run("--username", "sari", "--role", "sales")
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_a_weak_password_is_refused_with_the_validators_reason(monkeypatch):
    monkeypatch.setenv("REKISTERI_PASSWORD", "short")
    with pytest.raises(CommandError, match="too short"):
        _run("--username", "sari", "--role", "sales")
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_an_existing_username_is_refused_and_the_existing_account_is_untouched(password_env, cast):
    with pytest.raises(CommandError, match="already exists"):
        _run("--username", "sanna.sales", "--role", "admin")
    cast.sales.refresh_from_db()
    assert cast.sales.staff_profile.role == "sales"


def _cli(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REKISTERI_ENV"}}
    env.update(REKISTERI_DATA_DIR=str(tmp_path), REKISTERI_PASSWORD=PASSWORD)
    return subprocess.run(
        [sys.executable, "-m", "rekisteri.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--role", "sales"], 2, "the following arguments are required: --username"),
        (["--username", "x", "--role", "boss"], 2, "invalid choice: 'boss'"),
        (["--username", "x", "--role", "sales", "--nda-signed", "1.2.2025"], 1, "YYYY-MM-DD"),
    ],
)
def test_bad_arguments_exit_non_zero_with_a_message(tmp_path, args, code, message):
    result = _cli(tmp_path, "createstaff", *args)
    assert result.returncode == code
    assert message in result.stderr
