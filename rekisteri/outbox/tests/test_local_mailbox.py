"""The local mailbox: where mail goes when no mail server is configured (the embedded default)."""

from __future__ import annotations

import os
import subprocess
import sys
from email import message_from_bytes
from email.policy import default as default_policy

import pytest

from rekisteri.keystore.services import KeyDestroyed, key_destroy
from rekisteri.outbox.backends import mailbox_dir, mailbox_read
from rekisteri.outbox.models import MailState, OutgoingMail
from rekisteri.outbox.services import content_destroy, mail_enqueue, outbox_deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def local(settings, tmp_path):
    settings.EMAIL_BACKEND = settings.MAIL_LOCAL_MAILBOX_BACKEND
    settings.MAIL_MAILBOX_DIR = tmp_path / "mailbox"
    return settings.MAIL_MAILBOX_DIR


def _queue(to="anna.virtanen@testi.fi"):
    return mail_enqueue(
        to=to, subject="Vahvista pyyntösi", text="Avaa linkki: https://x.fi/portal/verify/abc/", kind="verify"
    )


def test_mail_is_delivered_into_the_local_mailbox_encrypted(local):
    mail = _queue()

    assert outbox_deliver().sent == 1

    mail.refresh_from_db()
    assert mail.state == MailState.SENT and mail.delivered_via == "mailbox"
    [path] = list(local.iterdir())
    assert path.name == f"{mail.pk}.eml.enc"
    assert path.stat().st_mode & 0o777 == 0o600
    assert local.stat().st_mode & 0o777 == 0o700
    stored = path.read_bytes()
    assert b"anna.virtanen" not in stored and b"portal/verify" not in stored
    message = message_from_bytes(mailbox_read(mail.pk), policy=default_policy)
    assert message["To"] == "anna.virtanen@testi.fi"
    assert "https://x.fi/portal/verify/abc/" in message.get_body(preferencelist=("plain",)).get_content()


def test_an_erased_mail_is_unreadable_in_the_mailbox_and_its_file_goes_with_its_content(local):
    first, second = _queue(), _queue(to="pekka@testi.fi")
    outbox_deliver()

    key_destroy(person_id=first.pk, reason="erasure_request")
    with pytest.raises(KeyDestroyed):
        mailbox_read(first.pk)

    content_destroy(mail_id=second.pk, reason="retention")
    assert mailbox_read(second.pk) is None
    assert [path.name for path in local.iterdir()] == [f"{first.pk}.eml.enc"]


def test_only_outbox_mails_enter_the_mailbox(local):
    from django.core.mail import EmailMessage, get_connection

    with pytest.raises(ValueError):
        get_connection().send_messages([EmailMessage(subject="x", body="y", to=["a@b.fi"])])
    assert not mailbox_dir().exists() or not list(mailbox_dir().iterdir())


def _settings_of(tmp_path, **env) -> dict:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("EMAIL_", "REKISTERI_"))}
    clean.pop("DATABASE_URL", None)
    clean.update(REKISTERI_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="rekisteri.settings", **env)
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND); print(s.MAIL_MAILBOX_DIR)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=60
    )
    return {"returncode": result.returncode, "stdout": result.stdout.split(), "stderr": result.stderr}


def test_the_default_settings_deliver_to_the_local_mailbox_in_the_data_directory(tmp_path):
    result = _settings_of(tmp_path)

    assert result["returncode"] == 0, result["stderr"]
    assert result["stdout"] == ["rekisteri.outbox.backends.LocalMailboxBackend", str(tmp_path / "mailbox")]


def test_a_mail_server_in_the_environment_is_used(tmp_path):
    result = _settings_of(tmp_path, EMAIL_HOST="smtp.firma.fi")

    assert result["stdout"][0] == "django.core.mail.backends.smtp.EmailBackend"


def test_production_refuses_to_start_without_a_mail_server(tmp_path):
    result = _settings_of(
        tmp_path,
        REKISTERI_ENV="production",
        SECRET_KEY="s" * 60,
        ALLOWED_HOSTS="rekisteri.firma.fi",
        REKISTERI_MASTER_KEY="prod-1:" + "A" * 43,
    )

    assert result["returncode"] != 0
    assert "EMAIL_HOST must be set when REKISTERI_ENV=production" in result["stderr"]


def test_the_mailbox_mail_is_counted_once_in_the_outbox(local):
    _queue()
    outbox_deliver()
    outbox_deliver()

    assert OutgoingMail.objects.filter(state=MailState.SENT).count() == 1
    assert len(list(local.iterdir())) == 1
