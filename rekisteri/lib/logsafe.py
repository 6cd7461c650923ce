"""A log formatter that never writes exception messages.

Exception messages can carry personal values (a validation error quoting a field, a
database error quoting a row), and logs outlive erasure. Tracebacks keep their frames
(file, line, function) and the exception's type, which is what debugging needs.
"""

from __future__ import annotations

import logging
import traceback


class NoExceptionMessagesFormatter(logging.Formatter):
    def formatException(self, exc_info) -> str:  # noqa: N802 (logging's own name)
        exc_type, exc, tb = exc_info
        lines = ["Traceback (most recent call last):\n", *traceback.format_tb(tb)]
        chain = exc.__cause__ or exc.__context__ if exc is not None else None
        lines.append(
            f"{exc_type.__module__}.{exc_type.__qualname__} (message withheld: may hold personal data)"
        )
        if chain is not None:
            lines.append(f"\n  caused by {type(chain).__module__}.{type(chain).__qualname__}")
        return "".join(lines)
