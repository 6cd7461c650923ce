"""RFC 3030 CHUNKING on the bulk path: where the server offers it (with PIPELINING), a
message is one write and one round trip, the content sent as it is; refusals are the same as
smtplib's, and the connection carries the next message."""

from __future__ import annotations

import smtplib
import socketserver
import threading

import pytest

from rekisteri.outbox.pipelining import sendmail
from rekisteri.outbox.tests.test_pipelining import _counted

MESSAGE = (
    b"From: uutiset@firma.example\r\nTo: aino@lukija.example\r\nSubject: Hei\r\n\r\n"
    b"Rivi\r\n.Piste rivin alussa\r\n"
)
REFUSED = "poissa@lukija.example"


class ChunkingHandler(socketserver.StreamRequestHandler):
    """A small SMTP server offering PIPELINING and CHUNKING; it refuses REFUSED at RCPT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        received = self.server.received
        self.reply("220 test ESMTP")
        rcpts: list[str] = []
        while line := self.rfile.readline():
            verb, _, rest = line.decode().rstrip("\r\n").partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.wfile.write(b"250-test\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 8BITMIME\r\n")
            elif verb == "MAIL":
                rcpts = []
                self.reply("250 OK")
            elif verb == "RCPT":
                address = rest[rest.index("<") + 1 : rest.index(">")]
                if address == REFUSED:
                    self.reply("550 5.1.1 User unknown")
                else:
                    rcpts.append(address)
                    self.reply("250 OK")
            elif verb == "BDAT":
                content = self.rfile.read(int(rest.split()[0]))  # read even when refused
                if rcpts:
                    received.append((rcpts, content))
                    self.reply("250 2.0.0 queued")
                else:
                    self.reply("503 5.5.1 No valid recipients")
                rcpts = []
            elif verb == "RSET":
                rcpts = []
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("500 What")


@pytest.fixture
def server():
    tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), ChunkingHandler)
    tcp.daemon_threads = True
    tcp.received = []
    thread = threading.Thread(target=tcp.serve_forever, daemon=True)
    thread.start()
    yield tcp
    tcp.shutdown()
    tcp.server_close()


def test_a_message_is_one_write_and_arrives_as_it_was(server):
    with smtplib.SMTP("127.0.0.1", server.server_address[1], timeout=5) as smtp:
        smtp.ehlo()
        writes = _counted(smtp)
        for n in range(3):
            sendmail(smtp, "uutiset@firma.example", f"lukija{n}@lukija.example", MESSAGE)
    assert writes[0] == 3 + 1  # and QUIT
    assert server.received == [([f"lukija{n}@lukija.example"], MESSAGE) for n in range(3)]


def test_a_refused_recipient_fails_alone_and_the_connection_carries_on(server):
    with smtplib.SMTP("127.0.0.1", server.server_address[1], timeout=5) as smtp:
        smtp.ehlo()
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            sendmail(smtp, "uutiset@firma.example", REFUSED, MESSAGE)
        assert refused.value.recipients[REFUSED][0] == 550
        sendmail(smtp, "uutiset@firma.example", "aino@lukija.example", MESSAGE)
    assert server.received == [(["aino@lukija.example"], MESSAGE)]
