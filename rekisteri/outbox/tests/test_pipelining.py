"""RFC 2920 PIPELINING on the bulk path: two round trips a message where the server offers
it, the same refusals as smtplib's, and smtplib's own way where it does not."""

from __future__ import annotations

import smtplib

import pytest

from rekisteri.outbox.pipelining import sendmail
from rekisteri.outbox.tests.smtp import Mailbox, SmtpServer

MESSAGE = (
    b"From: uutiset@firma.example\r\nTo: aino@lukija.example\r\nSubject: Hei\r\n\r\n"
    b"Rivi\r\n.Piste rivin alussa\r\n"
)


class PipeliningMailbox(Mailbox):
    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


@pytest.fixture(params=[True, False], ids=["pipelining", "without"])
def server(request):
    smtp_server = SmtpServer(refuse={"poissa@lukija.example"})
    if request.param:
        smtp_server.mailbox = PipeliningMailbox(refuse={"poissa@lukija.example"})
    smtp_server.start()
    yield smtp_server, request.param
    smtp_server.stop()


def _counted(smtp: smtplib.SMTP) -> list[int]:
    writes = [0]
    send = smtp.send

    def counting(data):
        writes[0] += 1
        return send(data)

    smtp.send = counting
    return writes


def test_messages_go_in_two_writes_where_offered_and_arrive_whole(server):
    smtp_server, pipelining = server
    with smtplib.SMTP("127.0.0.1", smtp_server.port, timeout=5) as smtp:
        smtp.ehlo()
        writes = _counted(smtp)
        for n in range(3):
            sendmail(smtp, "uutiset@firma.example", f"lukija{n}@lukija.example", MESSAGE)
    assert writes[0] == (2 * 3 if pipelining else 4 * 3) + 1  # and QUIT
    received = smtp_server.mailbox.messages
    assert [rcpt for rcpt, _ in received] == [[f"lukija{n}@lukija.example"] for n in range(3)]
    assert received[0][1].get_content().splitlines() == ["Rivi", ".Piste rivin alussa"]  # the period kept


def test_a_refused_recipient_fails_alone_and_the_connection_carries_on(server):
    smtp_server, _ = server
    with smtplib.SMTP("127.0.0.1", smtp_server.port, timeout=5) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            sendmail(smtp, "uutiset@firma.example", "poissa@lukija.example", MESSAGE)
        code, text = refused.value.recipients["poissa@lukija.example"]
        assert code == 550 and b"User unknown" in text
        sendmail(smtp, "uutiset@firma.example", "aino@lukija.example", MESSAGE)
    assert [rcpt for rcpt, _ in smtp_server.mailbox.messages] == [["aino@lukija.example"]]


def test_a_server_gone_is_a_lost_connection(server):
    smtp_server, _ = server
    smtp = smtplib.SMTP("127.0.0.1", smtp_server.port, timeout=5)
    smtp.ehlo()
    smtp_server.stop()
    with pytest.raises((smtplib.SMTPServerDisconnected, OSError)):
        sendmail(smtp, "uutiset@firma.example", "aino@lukija.example", MESSAGE)
