"""`rekisteri twofactor` and `createstaff --two-factor`: the second factor from the shell."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command

from rekisteri.security.models import BackupCode, TOTPDevice
from rekisteri.security.testing import enrolled_device
from rekisteri.security.tests.test_two_factor import code

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createstaff_with_two_factor_prints_the_key_and_the_backup_codes(db, monkeypatch):
    monkeypatch.setenv("REKISTERI_PASSWORD", "a long enough passphrase 9")
    # The code is typed once the key is shown: answer the prompt from the printed key.
    printed = {}

    def answer(prompt):
        return code(printed["key"])

    monkeypatch.setattr("builtins.input", answer)
    out = io.StringIO()

    class Capture(io.StringIO):
        def write(self, text):
            match = re.search(r"Key \(time-based, 6 digits, 30 s\): ([A-Z2-7]+)", text)
            if match:
                printed["key"] = match[1]
            out.write(text)
            return len(text)

    call_command(
        "createstaff",
        "--username",
        "uusi.tietosuoja",
        "--role",
        "privacy_officer",
        "--two-factor",
        stdout=Capture(),
    )

    output = out.getvalue()
    assert "otpauth://totp/rekisteri%3Auusi.tietosuoja?secret=" in output
    assert len(re.findall(r"^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$", output, re.M)) == 10
    assert TOTPDevice.objects.get(user__username="uusi.tietosuoja").confirmed


def test_a_wrong_first_code_leaves_no_second_factor(cast):
    with pytest.raises(CommandError, match="Not set up"):
        _run("twofactor", "enrol", "--username", cast.admin.username, "--code", "12", "--no-qr")

    assert not TOTPDevice.objects.filter(user=cast.admin, confirmed=True).exists()


def test_reset_and_status(cast):
    enrolled_device(cast.admin)
    assert "on," in _run("twofactor", "status", "--username", cast.admin.username)

    _run("twofactor", "reset", "--username", cast.admin.username)

    assert not TOTPDevice.objects.filter(user=cast.admin).exists()
    assert not BackupCode.objects.filter(user=cast.admin).exists()
    assert "not set up (required)" in _run("twofactor", "status", "--username", cast.admin.username)


def test_an_unknown_member_is_an_error(db):
    with pytest.raises(CommandError, match="No staff member"):
        _run("twofactor", "status", "--username", "nobody")
