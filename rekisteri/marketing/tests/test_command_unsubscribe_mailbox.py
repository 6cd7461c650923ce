"""`rekisteri marketing unsubscribe-mailbox`: the mailto of List-Unsubscribe (RFC 2369) read
from a real maildir and mbox built here, from IMAP (the network faked), and by the worker."""

from __future__ import annotations

import mailbox
import re
from email.message import EmailMessage

import pytest
from django.core import mail as django_mail
from django.core.management import CommandError, call_command

from rekisteri.marketing import mailbox as unsubscribe_mailbox
from rekisteri.marketing.models import Subscription
from rekisteri.marketing.services.campaigns import campaign_create, campaign_send
from rekisteri.marketing.services.consents import consent_give
from rekisteri.marketing.services.lists import subscription_add
from rekisteri.people.services import person_create

pytestmark = pytest.mark.database


@pytest.fixture
def tokens(system_actor, newsletter) -> dict[str, str]:
    """Aino and Eino got a campaign; their tokens as its mailto names them."""
    for name in ("Aino", "Eino", "Oona"):
        person = person_create(
            actor=system_actor, first_name=name, last_name="Lukija", email=f"{name.lower()}@lukija.example"
        )
        consent_give(actor=system_actor, person=person, topic=newsletter, channel="paper")
        subscription_add(actor=system_actor, person=person, topic=newsletter)
    campaign_send(
        actor=system_actor,
        campaign=campaign_create(actor=system_actor, topic=newsletter, subject="Hei", body_markdown="Moi"),
    )
    found = {}
    for message in django_mail.outbox:
        mailto = re.search(
            r"<mailto:([^?]+)\?subject=unsubscribe-([^>]+)>", message.extra_headers["List-Unsubscribe"]
        )
        found[message.to[0].split("@")[0]] = mailto.group(2)
        found["address"] = mailto.group(1)
    return found


def _mail(subject: str, to: str) -> bytes:
    message = EmailMessage()
    message["From"] = "someone@lukija.example"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Please remove me.\n")
    return bytes(message)


def _mails(tokens) -> list[bytes]:
    return [
        _mail(f"unsubscribe-{tokens['aino']}", tokens["address"]),  # as the mail client writes it
        _mail("Re: Hei", f"unsubscribe+{tokens['eino']}@firma.example"),  # the token in the address
        _mail("unsubscribe-" + "x" * 32, tokens["address"]),  # no such message
        _mail("Hello", tokens["address"]),  # no token at all
        _mail(f"unsubscribe-{tokens['aino']}", tokens["address"]),  # sent twice
    ]


def _states() -> dict[str, str]:
    return {s.person.first_name: (s.state, s.unsubscribed_channel) for s in Subscription.objects.all()}


EXPECTED = {
    "Aino": ("unsubscribed", "email"),
    "Eino": ("unsubscribed", "email"),
    "Oona": ("active", ""),
}
FIRST = (
    "Read 5 message(s): 2 unsubscribed, 1 already unsubscribed, 1 with an unknown token, 1 without a token."
)
AGAIN = (
    "Read 5 message(s): 0 unsubscribed, 3 already unsubscribed, 1 with an unknown token, 1 without a token."
)


def test_a_maildir_is_read_once_and_again_only_when_asked(tokens, tmp_path, capsys):
    box = mailbox.Maildir(tmp_path / "unsub", create=True)
    for raw in _mails(tokens):
        box.add(raw)
    call_command("marketing", "unsubscribe-mailbox", "--maildir", str(tmp_path / "unsub"))
    assert capsys.readouterr().out.strip() == FIRST
    assert _states() == EXPECTED
    assert all("S" in box.get_message(key).get_flags() for key in box.keys())  # marked read
    call_command("marketing", "unsubscribe-mailbox", "--maildir", str(tmp_path / "unsub"))
    assert capsys.readouterr().out.startswith("Read 0 message(s)")
    call_command("marketing", "unsubscribe-mailbox", "--maildir", str(tmp_path / "unsub"), "--all")
    assert capsys.readouterr().out.strip() == AGAIN
    assert _states() == EXPECTED


def test_an_mbox_is_read_whole_and_left_unchanged(tokens, tmp_path, capsys):
    path = tmp_path / "unsub.mbox"
    box = mailbox.mbox(path, create=True)
    for raw in _mails(tokens):
        box.add(raw)
    box.close()
    before = path.read_bytes()
    call_command("marketing", "unsubscribe-mailbox", "--mbox", str(path))
    assert capsys.readouterr().out.strip() == FIRST
    call_command("marketing", "unsubscribe-mailbox", "--mbox", str(path))
    assert capsys.readouterr().out.strip() == AGAIN
    assert _states() == EXPECTED and path.read_bytes() == before


def test_bad_input_is_refused_with_a_message(db, tmp_path, settings):
    with pytest.raises(CommandError, match="not a directory"):
        call_command("marketing", "unsubscribe-mailbox", "--maildir", str(tmp_path / "nowhere"))
    (tmp_path / "plain").mkdir()
    with pytest.raises(CommandError, match="not a maildir"):
        call_command("marketing", "unsubscribe-mailbox", "--maildir", str(tmp_path / "plain"))
    (tmp_path / "notes.txt").write_text("Hello\n")
    with pytest.raises(CommandError, match="not an mbox"):
        call_command("marketing", "unsubscribe-mailbox", "--mbox", str(tmp_path / "notes.txt"))
    with pytest.raises(CommandError, match="not a file"):
        call_command("marketing", "unsubscribe-mailbox", "--mbox", str(tmp_path))
    settings.MARKETING_UNSUBSCRIBE_IMAP_HOST = ""
    with pytest.raises(CommandError, match="No IMAP server"):
        call_command("marketing", "unsubscribe-mailbox", "--imap")
    with pytest.raises(CommandError):
        call_command("marketing", "unsubscribe-mailbox")  # a source is required


class FakeImap:
    """An IMAP server's answers for one folder (the network is what is faked)."""

    mails: dict[bytes, bytes] = {}
    seen: set[bytes] = set()
    password = "salasana"

    def __init__(self, host, port, timeout=None):
        self.host = host

    def login(self, user, password):
        if password != self.password:
            raise unsubscribe_mailbox.imaplib.IMAP4.error("LOGIN failed")
        return "OK", [b""]

    def select(self, folder):
        return ("OK", [b"5"]) if folder == "INBOX" else ("NO", [b"no such folder"])

    def search(self, charset, criterion):
        assert criterion == "UNSEEN"
        return "OK", [b" ".join(n for n in self.mails if n not in self.seen)]

    def fetch(self, number, what):
        assert what == "(BODY.PEEK[])"  # reading does not mark read by itself
        return "OK", [(b"1 (BODY[] {%d}" % len(self.mails[number]), self.mails[number]), b")"]

    def store(self, number, op, flag):
        assert (op, flag) == ("+FLAGS", "\\Seen")
        self.seen.add(number)
        return "OK", [b""]

    def logout(self):
        return "BYE", [b""]


def test_the_imap_folder_is_read_and_its_mails_flagged_read(tokens, settings, monkeypatch, capsys):
    FakeImap.mails = {str(i + 1).encode(): raw for i, raw in enumerate(_mails(tokens))}
    FakeImap.seen = set()
    monkeypatch.setattr(unsubscribe_mailbox.imaplib, "IMAP4_SSL", FakeImap)
    settings.MARKETING_UNSUBSCRIBE_IMAP_HOST = "imap.firma.example"
    settings.MARKETING_UNSUBSCRIBE_IMAP_USER = "unsubscribe"
    settings.MARKETING_UNSUBSCRIBE_IMAP_PASSWORD = "salasana"
    call_command("marketing", "unsubscribe-mailbox", "--imap")
    assert capsys.readouterr().out.strip() == FIRST
    assert _states() == EXPECTED and FakeImap.seen == set(FakeImap.mails)
    call_command("marketing", "unsubscribe-mailbox", "--imap")
    assert capsys.readouterr().out.startswith("Read 0 message(s)")
    settings.MARKETING_UNSUBSCRIBE_IMAP_PASSWORD = "väärä"
    with pytest.raises(CommandError, match="refused the login"):
        call_command("marketing", "unsubscribe-mailbox", "--imap")


def test_the_worker_reads_the_configured_maildir_in_its_rounds(tokens, tmp_path, settings, monkeypatch):
    box = mailbox.Maildir(tmp_path / "unsub", create=True)
    box.add(_mail(f"unsubscribe-{tokens['oona']}", tokens["address"]))
    settings.MARKETING_UNSUBSCRIBE_MAILDIR = str(tmp_path / "unsub")
    settings.MARKETING_UNSUBSCRIBE_IMAP_HOST = ""
    monkeypatch.setattr(unsubscribe_mailbox, "_last_poll", [0.0])
    from rekisteri.rights.tasks import worker_round_hooks

    assert unsubscribe_mailbox.unsubscribe_mailboxes_poll in worker_round_hooks()
    report = unsubscribe_mailbox.unsubscribe_mailboxes_poll()
    assert report is not None and report.unsubscribed == 1
    assert _states()["Oona"] == ("unsubscribed", "email")
    box.add(_mail(f"unsubscribe-{tokens['aino']}", tokens["address"]))
    assert unsubscribe_mailbox.unsubscribe_mailboxes_poll() is None  # not again before its interval
    assert _states()["Aino"] == ("active", "")
