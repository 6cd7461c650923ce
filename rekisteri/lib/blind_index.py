"""Blind indexes: keyed, truncated HMACs that let encrypted e-mails, phones and names be found.

The database stores only ``HMAC-SHA256(subkey, value)`` truncated to ``bits`` bits, where each
kind of term has its own subkey derived from the installation's blind-index key (which is not
the master key and is never rotated with it). A lookup computes the same values for the query
and fetches candidate rows; the caller decrypts every candidate and re-checks it
(``name_matches`` for names), so collisions never reach the user.

Kinds (domain separation; the same string gives unrelated values in each kind):
``email`` (exact, case-folded), ``phone`` (exact E.164), ``name-word`` (a whole word of
fewer than 3 letters) and ``name-prefix`` (a word of 3 or more letters, as a prefix code).

Folding (``fold``), applied identically to stored names and to queries:
- Unicode NFKC, then case folding (``ÄÄKKÖNEN`` -> ``ääkkönen``, ``ß`` -> ``ss``).
- Finnish and Swedish letters stay distinct letters: ``å``, ``ä``, ``ö`` are kept, so
  ``a`` != ``ä`` (Määttä is not Maatta). ``æ`` folds to ``ä`` and ``ø`` to ``ö``, as Finnish
  alphabetisation treats them and as a Finnish keyboard would type them.
- Other accents on Latin letters are dropped, so a name typed without them is found:
  ``é`` -> ``e``, ``ü`` -> ``u``, ``ñ`` -> ``n``, ``č`` -> ``c``; likewise ``ł`` -> ``l``,
  ``đ`` -> ``d``, ``ı`` -> ``i``, ``œ`` -> ``oe``. Marks on other scripts are kept (``й`` is
  not ``и``).
- Invisible format and control characters are removed; whitespace runs become one space.

Name terms: a name is split into chunks of letters and digits joined by hyphens or
apostrophes (``Anna-Liisa``, ``O'Brien``); each chunk yields its words (``anna``, ``liisa``),
its joined form (``anna-liisa``) and its compact form (``annaliisa``). Each form gives ONE
index entry. A form of 3 or more letters is stored as a prefix code: the HMAC of its first 3
letters truncated to ``bits`` bits, followed by 7 bits of the HMAC of each longer prefix
(4, 5, ... letters, as many levels as fit in 63 bits: 6 at 20 bits, so up to 9 letters) and
zeros where the form is shorter. A query chunk of 3 or more letters fixes the levels up to
its length and so becomes a range of values (``TermRange``): ``vir`` matches every form
starting with "vir", ``virta`` only those whose 4- and 5-letter prefixes hash alike. A
chunk longer than the last level is looked up by its first ``max_prefix`` letters. A
shorter chunk (``Li``, ``Ek``) is looked up as a whole word. All query chunks must match
(AND). One entry per form instead of one per prefix keeps the index about a third of its
former size, which is what makes bulk loading fast; what the entries reveal is the same
(which names share a prefix, up to the truncation).

Sizing (CipherSweet's rule): with ``R`` index entries and ``b`` bits, a lookup returns about
``R / 2**b`` unrelated rows besides the real matches. Keeping that between 2 and ``sqrt(R)``
means an index value never pins down a single row (less leakage) while a lookup stays cheap.
``recommended_bits(R)`` returns ``floor(log2 R) - 1`` (about 2-4 collisions), clamped to
``MIN_BITS``..``MAX_BITS``. The floor of 16 bits exists because the width is fixed when the
index is built while the register grows; small registers accept fewer collisions in exchange
for not needing a reindex. For name terms R is the number of index entries (persons times
name forms, about 2-4), and ``b`` is the width of the 3-letter level: a 3-letter query has
the collisions of the rule, a longer one fewer. Values fit a signed 64-bit column.
"""

from __future__ import annotations

import os
import re
import unicodedata
from typing import NamedTuple

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.hmac import HMAC

MIN_BITS = 16
MAX_BITS = 63  # so a value fits a signed 64-bit integer column (bigint) on every database
MIN_PREFIX = 3
LEVEL_BITS = 7  # bits per prefix level beyond the first 3 letters
MAX_LEVELS = 6  # prefix levels of 4..9 letters (at most; fewer when ``bits`` leaves no room)
KEY_BYTES = 32

KIND_EMAIL = "email"
KIND_PHONE = "phone"
KIND_NAME_WORD = "name-word"
KIND_NAME_PREFIX = "name-prefix"
KINDS = (KIND_EMAIL, KIND_PHONE, KIND_NAME_WORD, KIND_NAME_PREFIX)


def recommended_bits(entry_count: int) -> int:
    """Index width for ``entry_count`` entries: about 2-4 expected collisions per value (see module doc)."""
    if entry_count < 1:
        raise ValueError("entry_count must be at least 1")
    # floor(log2 R) - 1 gives R / 2**bits in [2, 4); that is within [2, sqrt(R)] for R >= 16.
    return max(MIN_BITS, min(MAX_BITS, entry_count.bit_length() - 2))


def expected_collisions(entry_count: int, bits: int) -> float:
    """Unrelated entries a lookup is expected to return: ``R / 2**bits``."""
    return entry_count / 2**bits


DEFAULT_BITS = recommended_bits(1_000_000)  # 18 bits: about 3.8 extra candidates per lookup at 1M rows


def _mac(key: bytes, message: bytes) -> bytes:
    mac = HMAC(key, SHA256())
    mac.update(message)
    return mac.finalize()


def generate_index_key() -> bytes:
    """A fresh random blind-index key (store it wrapped by the master key)."""
    return os.urandom(KEY_BYTES)


# --------------------------------------------------------------------------- folding

# Invisible characters: every control character that is not whitespace, and every Unicode
# format character (category Cf: soft hyphen, zero-width joiners, bidi controls, tags...).
_INVISIBLE_RE = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]"
)
# Combining marks directly after a Latin base letter (or after any ASCII/Latin-1 character).
_LATIN_MARKS_RE = re.compile(
    "([\x00-\u024f\u1e00-\u1eff])[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+"
)
_KEPT = (("a\u030a", "å"), ("a\u0308", "ä"), ("o\u0308", "ö"))
_LETTER_MAP = str.maketrans({"æ": "ä", "ø": "ö", "œ": "oe", "ł": "l", "đ": "d", "ı": "i"})


def fold(text: str) -> str:
    """The canonical search form of a name (see the module docstring for the rules)."""
    if text.isascii():
        return " ".join(_INVISIBLE_RE.sub("", text).lower().split())
    text = unicodedata.normalize("NFKC", _INVISIBLE_RE.sub("", text)).casefold()
    text = unicodedata.normalize("NFD", text)
    for decomposed, letter in _KEPT:
        text = text.replace(decomposed, letter)
    text = _LATIN_MARKS_RE.sub(r"\1", text).translate(_LETTER_MAP)
    return " ".join(unicodedata.normalize("NFC", text).split())


# --------------------------------------------------------------------------- name terms

# Dash and apostrophe look-alikes become '-' and "'" before folding (NFKC would turn the
# acute accent U+00B4 into a space plus a combining mark).
_SEPARATORS = str.maketrans(
    {
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
        **dict.fromkeys("\u2018\u2019\u201b\u02bc\u02bb\u0060\u00b4\u2032\uff07", "'"),
    }
)
_CHUNK_RE = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")
_SPLIT_RE = re.compile(r"['-]")


def name_chunks(text: str) -> list[str]:
    """Folded chunks of a name or query: runs of letters and digits joined by '-' or "'"."""
    return _CHUNK_RE.findall(fold(text.translate(_SEPARATORS)))


def chunk_forms(chunk: str) -> set[str]:
    """The forms a chunk is indexed under: its words, and if compound its joined and compact forms."""
    words = _SPLIT_RE.split(chunk)
    if len(words) == 1:
        return {chunk}
    return {*words, chunk, "".join(words)}


def name_forms(*names: str | None) -> set[str]:
    forms: set[str] = set()
    for name in names:
        if name:
            for chunk in name_chunks(name):
                forms |= chunk_forms(chunk)
    return forms


def name_matches(query: str, *names: str | None, prefixes: bool = True) -> bool:
    """The re-check after decryption: it decides, ``BlindIndexer.query_terms`` only finds candidates.

    Every query chunk must be a prefix (3+ letters) or an equal whole word (shorter, or any
    length with ``prefixes=False``) of some form of the names. A query without letters or
    digits matches nothing.
    """
    chunks = name_chunks(query)
    if not chunks:
        return False
    forms = name_forms(*names)
    for chunk in chunks:
        if prefixes and len(chunk) >= MIN_PREFIX:
            if not any(form.startswith(chunk) for form in forms):
                return False
        elif chunk not in forms:
            return False
    return True


# --------------------------------------------------------------------------- the indexer


class TermRange(NamedTuple):
    """Index entries of ``kind`` with ``low <= value <= high`` match one query chunk."""

    kind: str
    low: int
    high: int

    def matches(self, kind: str, value: int) -> bool:
        return kind == self.kind and self.low <= value <= self.high


class BlindIndexer:
    """Computes blind-index values under one key and width. Values are ints in ``[0, 2**63)``.

    The same key can serve indexers of different widths (e.g. exact e-mail vs name terms);
    values from different kinds are unrelated even for the same input string.
    """

    __slots__ = ("bits", "levels", "max_prefix", "_shift", "_macs")

    def __init__(self, key: bytes, bits: int = DEFAULT_BITS):
        if not isinstance(key, bytes) or len(key) < KEY_BYTES:
            raise ValueError(f"a blind-index key must be at least {KEY_BYTES} bytes")
        if not MIN_BITS <= bits <= MAX_BITS:
            raise ValueError(f"bits must be between {MIN_BITS} and {MAX_BITS}")
        self.bits = bits
        self.levels = min(MAX_LEVELS, (MAX_BITS - bits) // LEVEL_BITS)
        self.max_prefix = MIN_PREFIX + self.levels  # longer words are coded by this many letters
        self._shift = 64 - bits
        # One subkey per kind; a keyed HMAC object is prepared once and copied per value,
        # which is about three times faster than keying HMAC afresh for every term.
        self._macs = {
            kind: HMAC(_mac(key, b"rekisteri-blind-index-v1|" + kind.encode()), SHA256()) for kind in KINDS
        }

    def _digest(self, kind: str, term: str) -> int:
        mac = self._macs[kind].copy()
        mac.update(term.encode("utf-8"))
        return int.from_bytes(mac.finalize()[:8], "big")

    def value(self, kind: str, term: str) -> int:
        """The ``bits``-wide index value of an already canonical term of ``kind``."""
        return self._digest(kind, term) >> self._shift

    def index_email(self, email: str) -> int:
        """Exact e-mail lookup; pass ``email_lookup_key(...)`` (it is case-folded again here)."""
        return self.value(KIND_EMAIL, email.strip().casefold())

    def index_phone(self, e164: str) -> int:
        """Exact phone lookup; pass ``normalize_phone(...)`` (E.164)."""
        return self.value(KIND_PHONE, e164.strip())

    def _prefix_code(self, form: str, length: int) -> int:
        """The levels of ``form`` up to ``length`` letters, not yet shifted into place."""
        code = self.value(KIND_NAME_PREFIX, form[:MIN_PREFIX])
        level_shift = 64 - LEVEL_BITS
        for end in range(MIN_PREFIX + 1, length + 1):
            code = (code << LEVEL_BITS) | (self._digest(KIND_NAME_PREFIX, form[:end]) >> level_shift)
        return code

    def name_entry(self, form: str) -> tuple[str, int]:
        """The one index entry of a name form (a folded word, see ``name_forms``): the lowest
        value of the form's own query range, i.e. zeros in the levels past its end."""
        term_range = self.chunk_range(form)
        return term_range.kind, term_range.low

    def index_name_terms(self, *names: str | None) -> set[tuple[str, int]]:
        """The (kind, value) entries of a person's names, e.g. ``index_name_terms(first, last)``."""
        return {self.name_entry(form) for form in name_forms(*names)}

    def chunk_range(self, chunk: str) -> TermRange:
        """The entries a folded query chunk matches as a prefix (a whole word if under 3 letters)."""
        if len(chunk) < MIN_PREFIX:
            value = self.value(KIND_NAME_WORD, chunk)
            return TermRange(KIND_NAME_WORD, value, value)
        length = min(len(chunk), self.max_prefix)
        open_bits = LEVEL_BITS * (self.max_prefix - length)
        low = self._prefix_code(chunk, length) << open_bits
        return TermRange(KIND_NAME_PREFIX, low, low | ((1 << open_bits) - 1))

    def query_terms(self, query: str) -> list[TermRange]:
        """Ranges that must ALL be matched by a person's entries for a name to match ``query``.

        They find candidates; ``name_matches`` decides (a whole-word search with
        ``prefixes=False`` uses the same ranges, its re-check drops longer words). An empty
        list means the query has no letters or digits: search nothing rather than everything.
        """
        ranges: list[TermRange] = []
        for chunk in name_chunks(query):
            term_range = self.chunk_range(chunk)
            if term_range not in ranges:
                ranges.append(term_range)
        return ranges


def entries_match(ranges: list[TermRange], entries: set[tuple[str, int]]) -> bool:
    """Whether index entries satisfy every range (what the database query does, in Python)."""
    return bool(ranges) and all(any(r.matches(kind, value) for kind, value in entries) for r in ranges)
