"""A real SMTP server on loopback for tests (aiosmtpd), which can be down and come back."""

from __future__ import annotations

import socket
import threading
import time
from email import message_from_bytes
from email.policy import default as default_policy


class Mailbox:
    """An aiosmtpd handler that keeps every message it is given; `refuse` answers 550 to those
    recipients instead."""

    def __init__(self, refuse: set[str] | None = None):
        self.messages = []
        # Called while waiting for a message, e.g. the outbox's delivery: the worker's part.
        self.deliver = None
        self.refuse = {address.casefold() for address in refuse or ()}
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.casefold() in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = message_from_bytes(envelope.content, policy=default_policy)
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        with self._lock:
            return [message for rcpt, message in self.messages if address in rcpt]

    def wait_for(self, to: str, count: int, timeout: float = 15.0):
        """The `count`-th message to `to`, waiting for it to arrive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.deliver is not None:
                self.deliver()
            received = self.to(to)
            if len(received) >= count:
                return received[count - 1]
            time.sleep(0.05)
        raise AssertionError(f"no message number {count} to {to} within {timeout} s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """aiosmtpd on a fixed port: `start()` and `stop()` as often as a test needs; while it is
    stopped, connections to the port are refused (nothing listens)."""

    def __init__(self, port: int | None = None, refuse: set[str] | None = None):
        self.port = port or free_port()
        self.mailbox = Mailbox(refuse)
        self._controller = None

    def start(self) -> SmtpServer:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def configure(self, settings) -> None:
        """Point Django's SMTP backend at this server (whether or not it is running)."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = self.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
