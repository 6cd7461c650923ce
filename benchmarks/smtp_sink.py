"""A local SMTP sink for the campaign benchmark and the kill -9 test: accepts every message,
keeps each recipient's address in memory (or counts only) and writes them to a file on exit.

    .venv/bin/python benchmarks/smtp_sink.py --port 2525 [--out received.txt]
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        # RFC 2920, as Postfix and Exim offer it: aiosmtpd reads commands line by line, so
        # pipelined ones simply wait in its buffer.
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_DATA(self, server, session, envelope):
        self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


async def serve(port: int, out: Path | None) -> None:
    sink = Sink()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="sink", data_size_limit=None), "127.0.0.1", port
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    await stop.wait()
    server.close()
    if out is not None:
        out.write_text("".join(f"{address}\n" for address in sink.recipients))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.out))
    sys.exit(0)


if __name__ == "__main__":
    main()
