"""The text a PDF shows, for assertions: what a reader copying it out of a viewer gets.

Enough of PDF for the files fpdf2 writes: objects, (deflated) content streams, text shown with
Tj, and the font's ToUnicode map from glyph ids back to characters (an embedded TrueType font
shows glyph ids, not characters). A font without such a map (a core font) is read as Latin-1,
so a name the file could not hold reads as "?" here too.
"""

from __future__ import annotations

import re
import zlib

_OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)endobj", re.S)
_STREAM_START = re.compile(rb"stream\r?\n")
_FONTS = re.compile(rb"/Font\s*<<(.*?)>>", re.S)
_FONT_REF = re.compile(rb"/(\w+)\s+(\d+) 0 R")
_TO_UNICODE = re.compile(rb"/ToUnicode (\d+) 0 R")
_OPERATION = re.compile(rb"/(\w+)\s+[\d.]+\s+Tf|\(((?:\\.|[^\\)])*)\)\s*Tj", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _stream(body: bytes) -> bytes:
    start = _STREAM_START.search(body)
    if start is None:
        return b""
    dictionary = body[: start.start()]
    # Exactly /Length bytes: deflated data may itself end in a CR or LF.
    length = int(re.search(rb"/Length (\d+)", dictionary).group(1))
    data = body[start.end() : start.end() + length]
    return zlib.decompress(data) if b"/FlateDecode" in dictionary else data


def _cmap(data: bytes) -> dict[int, str]:
    """Glyph id -> text from a ToUnicode CMap's bfchar and bfrange sections."""
    mapping: dict[int, str] = {}
    for section in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for source, target in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", section):
            mapping[int(source, 16)] = bytes.fromhex(target.decode()).decode("utf-16-be")
    for section in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for low, high, start in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", section
        ):
            first = int(start, 16)
            for offset, glyph in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[glyph] = chr(first + offset)
    return mapping


def _unescape(literal: bytes) -> bytes:
    out = bytearray()
    index = 0
    while index < len(literal):
        byte = literal[index : index + 1]
        if byte == b"\\":
            following = literal[index + 1 : index + 2]
            octal = re.match(rb"[0-7]{1,3}", literal[index + 1 : index + 4])
            if octal:
                out.append(int(octal.group(0), 8) & 0xFF)
                index += 1 + len(octal.group(0))
                continue
            out += _ESCAPES.get(following, following)
            index += 2
            continue
        out += byte
        index += 1
    return bytes(out)


def pdf_text(content: bytes) -> str:
    """The text of every Tj operator in the file, in order, each on a line of its own."""
    objects = {int(number): body for number, body in _OBJECT.findall(content)}
    maps: dict[str, dict[int, str] | None] = {}
    for body in objects.values():
        for fonts in _FONTS.findall(body):
            for name, number in _FONT_REF.findall(fonts):
                to_unicode = _TO_UNICODE.search(objects.get(int(number), b""))
                maps[name.decode()] = (
                    _cmap(_stream(objects[int(to_unicode.group(1))])) if to_unicode else None
                )
    lines = []
    for body in objects.values():
        data = _stream(body)
        if b"Tj" not in data:
            continue
        current: dict[int, str] | None = None
        for font, literal in _OPERATION.findall(data):
            if font:
                current = maps.get(font.decode())
                continue
            raw = _unescape(literal)
            if current is None:
                lines.append(raw.decode("latin-1"))
            else:
                glyphs = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw) - 1, 2)]
                lines.append("".join(current.get(glyph, "\ufffd") for glyph in glyphs))
    return "\n".join(lines)
