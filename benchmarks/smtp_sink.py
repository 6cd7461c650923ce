"""A local SMTP sink for the campaign benchmark: a real SMTP server (RFC 5321) that accepts
every message, keeps each recipient's address in memory and writes them to a file on exit.

    .venv/bin/python benchmarks/smtp_sink.py --port 2525 [--out received.txt] [--aiosmtpd]

By default a lean server of its own on asyncio's protocol layer: EHLO offers PIPELINING
(RFC 2920), CHUNKING (RFC 3030, BDAT) and 8BITMIME as Postfix does; MAIL, RCPT, DATA (to the
lone dot), BDAT, RSET, NOOP and QUIT are answered, and the replies to the commands of one
read go back in one write. A message counts as received when its content has arrived in
full and the server has said 250. It parses no headers and logs nothing, so it spends a few
tens of microseconds a message where aiosmtpd (`--aiosmtpd`, the sink this benchmark used
before) spent about a millisecond, reading the content line by line and parsing every
address; on a 2-core machine the sink's CPU is taken from the sender's.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

CRLF = b"\r\n"
END_OF_DATA = b"\r\n.\r\n"
EHLO_REPLY = b"250-sink\r\n250-PIPELINING\r\n250-CHUNKING\r\n250-8BITMIME\r\n250 SIZE 104857600\r\n"


class Received:
    def __init__(self) -> None:
        self.recipients: list[str] = []


class LeanSmtp(asyncio.Protocol):
    """One SMTP session. States: commands, DATA content (up to CRLF.CRLF), BDAT chunks."""

    def __init__(self, received: Received) -> None:
        self.received = received
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.rcpts: list[str] = []
        self.mail_from = False
        self.mode = "command"
        self.scanned = 0  # bytes of DATA content already searched for the end
        self.chunk_left = 0
        self.chunk_last = False
        self.chunk_refused = False

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(b"220 sink ESMTP\r\n")

    def _accept(self) -> bytes:
        self.received.recipients.extend(self.rcpts)
        self.rcpts, self.mail_from = [], False
        return b"250 2.0.0 OK\r\n"

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        replies: list[bytes] = []
        while True:
            if self.mode == "data":
                if buffer.startswith(b".\r\n"):  # an empty message
                    end = -2
                else:
                    end = buffer.find(END_OF_DATA, max(0, self.scanned - 4))
                if end < 0:
                    self.scanned = len(buffer)
                    break
                del buffer[: end + len(END_OF_DATA)]
                self.mode, self.scanned = "command", 0
                replies.append(self._accept())
                continue
            if self.mode == "bdat":
                taken = min(self.chunk_left, len(buffer))
                del buffer[:taken]
                self.chunk_left -= taken
                if self.chunk_left:
                    break
                self.mode = "command"
                if self.chunk_refused:
                    replies.append(b"503 5.5.1 RCPT first\r\n")
                else:
                    replies.append(self._accept() if self.chunk_last else b"250 2.0.0 chunk OK\r\n")
                continue
            end = buffer.find(CRLF)
            if end < 0:
                break
            line = bytes(buffer[:end])
            del buffer[: end + 2]
            reply = self._command(line)
            if reply is None:  # QUIT
                replies.append(b"221 2.0.0 Bye\r\n")
                self.transport.write(b"".join(replies))
                self.transport.close()
                return
            replies.append(reply)
        if replies:
            self.transport.write(b"".join(replies))

    def _command(self, line: bytes) -> bytes | None:
        verb = line[:4].upper()
        if verb == b"MAIL":
            self.rcpts, self.mail_from = [], True
            return b"250 2.1.0 OK\r\n"
        if verb == b"RCPT":
            if not self.mail_from:
                return b"503 5.5.1 MAIL first\r\n"
            start, end = line.find(b"<"), line.find(b">")
            self.rcpts.append(line[start + 1 : end].decode("utf-8", "replace"))
            return b"250 2.1.5 OK\r\n"
        if verb == b"DATA":
            if not self.rcpts:
                return b"503 5.5.1 RCPT first\r\n"
            self.mode, self.scanned = "data", 0
            return b"354 End data with <CR><LF>.<CR><LF>\r\n"
        if verb == b"BDAT":
            parts = line.split()
            if len(parts) < 2 or not parts[1].isdigit():
                return b"501 5.5.4 BDAT size [LAST]\r\n"
            # The chunk is read in any case (RFC 3030 3.2); the reply comes when it has arrived.
            self.chunk_left = int(parts[1])
            self.chunk_last = len(parts) > 2 and parts[2].upper() == b"LAST"
            self.chunk_refused = not self.rcpts
            self.mode = "bdat"
            return b""
        if verb in (b"EHLO", b"HELO"):
            self.rcpts, self.mail_from = [], False
            return EHLO_REPLY if verb == b"EHLO" else b"250 sink\r\n"
        if verb == b"RSET":
            self.rcpts, self.mail_from = [], False
            return b"250 2.0.0 OK\r\n"
        if verb == b"NOOP":
            return b"250 2.0.0 OK\r\n"
        if verb == b"QUIT":
            return None
        return b"500 5.5.2 Command not recognized\r\n"


class AiosmtpdSink:
    """The aiosmtpd handler the benchmark used before (for comparison, `--aiosmtpd`)."""

    def __init__(self, received: Received) -> None:
        self.received = received

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        # RFC 2920, as Postfix and Exim offer it: aiosmtpd reads commands line by line, so
        # pipelined ones simply wait in its buffer.
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


async def serve(port: int, out: Path | None, use_aiosmtpd: bool) -> None:
    received = Received()
    loop = asyncio.get_running_loop()
    if use_aiosmtpd:
        from aiosmtpd.smtp import SMTP

        handler = AiosmtpdSink(received)
        factory = lambda: SMTP(handler, hostname="sink", data_size_limit=None)  # noqa: E731
    else:
        factory = lambda: LeanSmtp(received)  # noqa: E731
    server = await loop.create_server(factory, "127.0.0.1", port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    await stop.wait()
    server.close()
    if out is not None:
        out.write_text("".join(f"{address}\n" for address in received.recipients))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--aiosmtpd", action="store_true", help="serve with aiosmtpd instead (slower)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the sink here on exit")
    args = parser.parse_args()
    if args.profile:
        import cProfile

        cProfile.runctx(
            "asyncio.run(serve(args.port, args.out, args.aiosmtpd))", globals(), locals(), str(args.profile)
        )
    else:
        asyncio.run(serve(args.port, args.out, args.aiosmtpd))
    sys.exit(0)


if __name__ == "__main__":
    main()
