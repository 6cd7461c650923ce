import logging

from rekisteri.lib.logsafe import NoExceptionMessagesFormatter


def test_exception_messages_never_reach_the_log():
    formatter = NoExceptionMessagesFormatter("%(message)s")
    # Built from parts, so the traceback's source lines (which are kept) do not hold them.
    name, address = "An" + "na Virtanen", "anna.virtanen" + "@testi.fi"
    try:
        try:
            raise KeyError(address)
        except KeyError as inner:
            raise ValueError(f"Person {name} is invalid") from inner
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    text = formatter.format(record)
    assert "failed" in text
    assert "ValueError" in text and "KeyError" in text
    assert "test_exception_messages_never_reach_the_log" in text  # the frames stay
    assert name not in text and address not in text
