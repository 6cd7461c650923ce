"""One message over an open SMTP connection with PIPELINING (RFC 2920) where the server
offers it: MAIL, RCPT and DATA go in one write and their three replies are read together,
then the content: two round trips a message instead of smtplib's four. Where the server also
offers CHUNKING (RFC 3030, as Postfix does), the content goes as one BDAT ... LAST chunk in
the same write as MAIL and RCPT: one round trip a message. A campaign's time is mostly these
round trips (benchmarks/README.md). Still one message at a time: its reply is read (and the
caller marks it sent) before the next goes, so a killed sender leaves at most the message
whose reply it was waiting for in doubt.

The same exceptions as smtplib's sendmail, so the caller's handling (a refused recipient
fails that mail alone, a lost connection the rest of the batch) does not change. Servers
without PIPELINING, and addresses that are not ASCII (SMTPUTF8), go through smtplib.
"""

from __future__ import annotations

import smtplib

CRLF = b"\r\n"


def _quoted(message: bytes) -> bytes:
    # RFC 5321 4.5.2: a line starting with a period gets another; the content ends CRLF . CRLF.
    data = smtplib._quote_periods(message)
    if not data.endswith(CRLF):
        data += CRLF
    return data + b"." + CRLF


def _abandon(smtp: smtplib.SMTP, code: int) -> None:
    """After a refusal: 421 means the server is closing (so do we), else reset the envelope
    so the connection can carry the next message (as smtplib does)."""
    if code == 421:
        smtp.close()
    else:
        try:
            smtp.rset()
        except smtplib.SMTPServerDisconnected:
            pass


def _envelope_check(
    smtp: smtplib.SMTP, sender: str, recipient: str, mail: tuple[int, bytes], rcpt: tuple[int, bytes]
) -> None:
    """Raise as smtplib does for a refused MAIL FROM or RCPT TO (after _abandon)."""
    if mail[0] != 250:
        _abandon(smtp, mail[0])
        raise smtplib.SMTPSenderRefused(mail[0], mail[1], sender)
    if rcpt[0] not in (250, 251):
        _abandon(smtp, rcpt[0])
        raise smtplib.SMTPRecipientsRefused({recipient: rcpt})


def sendmail(smtp: smtplib.SMTP, sender: str, recipient: str, message: bytes) -> None:
    """Send `message` (bytes, already MIME with CRLF line ends) from `sender` to `recipient`."""
    smtp.ehlo_or_helo_if_needed()
    if not smtp.has_extn("pipelining") or not (sender + recipient).isascii():
        smtp.sendmail(sender, [recipient], message)
        return
    envelope = f"MAIL FROM:<{sender}>\r\nRCPT TO:<{recipient}>\r\n"
    if smtp.has_extn("chunking"):
        _send_chunked(smtp, envelope, sender, recipient, message)
        return
    smtp.send(envelope + "DATA\r\n")
    mail_code, mail_text = smtp.getreply()
    rcpt_code, rcpt_text = smtp.getreply()
    data_code, data_text = smtp.getreply()
    refused = mail_code != 250 or rcpt_code not in (250, 251)
    if refused and data_code == 354:
        # RFC 2920 3.1: the server took DATA although the envelope failed; end it empty.
        smtp.send(b"." + CRLF)
        smtp.getreply()
    _envelope_check(smtp, sender, recipient, (mail_code, mail_text), (rcpt_code, rcpt_text))
    if data_code != 354:
        _abandon(smtp, data_code)
        raise smtplib.SMTPDataError(data_code, data_text)
    smtp.send(_quoted(message))
    code, text = smtp.getreply()
    if code != 250:
        _abandon(smtp, code)
        raise smtplib.SMTPDataError(code, text)


def _send_chunked(smtp: smtplib.SMTP, envelope: str, sender: str, recipient: str, message: bytes) -> None:
    """MAIL, RCPT and the whole content as one BDAT chunk in one write, then the three replies.
    The server reads the chunk even when it refused the envelope (RFC 3030 3.2), so the
    replies stay in step; the content is sent as is (BDAT needs no dot-stuffing)."""
    smtp.send(f"{envelope}BDAT {len(message)} LAST\r\n".encode() + message)
    mail_code, mail_text = smtp.getreply()
    rcpt_code, rcpt_text = smtp.getreply()
    code, text = smtp.getreply()
    _envelope_check(smtp, sender, recipient, (mail_code, mail_text), (rcpt_code, rcpt_text))
    if code != 250:
        _abandon(smtp, code)
        raise smtplib.SMTPDataError(code, text)
