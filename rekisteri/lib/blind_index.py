"""Blind indexes: keyed, truncated HMACs that let encrypted e-mails, phones and names be found.

The database stores only ``HMAC-SHA256(subkey, value)`` truncated to ``bits`` bits, where each
kind of term has its own subkey derived from the installation's blind-index key (which is not
the master key and is never rotated with it). A lookup computes the same values for the query
and fetches candidate rows; the caller decrypts every candidate and re-checks it
(``name_matches`` for names), so collisions never reach the user.

Kinds (domain separation; the same string gives unrelated values in each kind):
``email-domain`` and ``email`` (the two levels of an e-mail code), ``phone`` (the levels of
a phone number's prefix code), ``name-word`` (a whole word of fewer than 3 letters) and
``name-prefix`` (a word of 3 or more letters, as a prefix code).

E-mail: ONE entry per address, a code of two levels: the HMAC of its domain truncated to
``bits`` bits (at most 31), then the HMAC of the whole case-folded address truncated to
``bits`` bits (at most what is left of 63). An exact address is one value (as before: the
address level has the width an exact e-mail index had); a domain ("@pohjolandata.example")
is the range of its first level. What the entries reveal: which addresses share a domain,
and which are equal up to the truncation (what a separate exact index and a separate domain
index of the same width would reveal together, in one entry instead of two).

Address hash: ONE entry per address, for the suppression list of marketing (an address that
unsubscribed from everything, or an erased person's). The list keeps the full-width keyed
hash of each address (``keystore.email_suppression_hash``, an HMAC under this same key in a
domain of its own); the entry is its first bits, as many as an e-mail code has
(``address_hash_entry``), so a campaign's audience leaves suppressed addresses out inside
the database, without decrypting anyone's address. An entry reveals what an e-mail code's
address level reveals (which addresses are equal, up to the truncation); a chance match of a
truncated entry is re-checked against the full hash before anyone is left out.

Phone: ONE entry per number, a prefix code of its E.164 digits (without "+"): the HMAC of the
first 5 digits (country code and the start of the national number, "35840") truncated to
``bits`` bits, then 7 bits of the HMAC of each longer prefix up to 9 digits ("358407721"),
zeros where the number is shorter. A query of 5-9 digits is a range; a longer one (a whole
number) is looked up by its first 9 digits and re-checked. What the entries reveal: which
numbers share their first 5 digits (in Finland the operator's prefix, 040, 045, 050...) and
their first 6-9 digits up to the 7-bit truncation of each level; unlike an exact index, no
entry tells that two numbers are equal beyond their 9th digit.

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
two-letter chunk (``Vi``) is the union of the ranges of every three-letter prefix it can
begin (``via``, ``vib``, ... ``viö``; see ``continuations``) and of the whole word ``vi``: the
stored entries are exactly the same as for three-letter search, so they reveal nothing more;
only someone who watches the queries sees which three-letter ranges a two-letter query
reads together. A one-letter chunk (an initial) is looked up as a whole word. All query
chunks must match (AND). One entry per form instead of one per prefix keeps the index about a third of its
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
# A query chunk this long is a prefix too: the union of the three-letter prefixes it begins.
MIN_QUERY_PREFIX = 2
LEVEL_BITS = 7  # bits per prefix level beyond the first 3 letters (or the first 5 digits)
MAX_LEVELS = 6  # prefix levels of 4..9 letters (at most; fewer when ``bits`` leaves no room)
KEY_BYTES = 32
PHONE_MIN_PREFIX = 5  # digits of a phone code's first level: "35840"
PHONE_MAX_PREFIX = 9  # digits coded at most: later digits are left to the re-check
MAX_DOMAIN_BITS = 31  # so an address level of at least 32 bits fits beside the domain level

KIND_EMAIL = "email"
KIND_EMAIL_DOMAIN = "email-domain"
KIND_PHONE = "phone"
KIND_NAME_WORD = "name-word"
KIND_NAME_PREFIX = "name-prefix"
KINDS = (KIND_EMAIL, KIND_EMAIL_DOMAIN, KIND_PHONE, KIND_NAME_WORD, KIND_NAME_PREFIX)


def recommended_bits(entry_count: int) -> int:
    """Index width for ``entry_count`` entries: about 2-4 expected collisions per value (see module doc)."""
    if entry_count < 1:
        raise ValueError("entry_count must be at least 1")
    # floor(log2 R) - 1 gives R / 2**bits in [2, 4); that is within [2, sqrt(R)] for R >= 16.
    return max(MIN_BITS, min(MAX_BITS, entry_count.bit_length() - 2))


def email_code_bits(bits: int) -> int:
    """The width of an e-mail code (its domain level and its address level) at index width ``bits``."""
    domain_bits = min(bits, MAX_DOMAIN_BITS)
    return domain_bits + min(bits, MAX_BITS - domain_bits)


def address_hash_entry(digest_hex: str, bits: int) -> int:
    """The address-hash entry of a full-width keyed address hash (hex, as the suppression list
    and the erasure journal keep it): its first ``email_code_bits(bits)`` bits."""
    return int(digest_hex[:16], 16) >> (64 - email_code_bits(bits))


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

    Every query chunk must be a prefix (2+ letters) or an equal whole word (one letter, or
    any length with ``prefixes=False``) of some form of the names. A query without letters
    or digits matches nothing.
    """
    chunks = name_chunks(query)
    if not chunks:
        return False
    forms = name_forms(*names)
    for chunk in chunks:
        if prefixes and len(chunk) >= MIN_QUERY_PREFIX:
            if not any(form.startswith(chunk) for form in forms):
                return False
        elif chunk not in forms:
            return False
    return True


# Letters that can follow a two-letter query chunk, by the script of its last character:
# every letter these scripts' names fold to (``fold``) in the alphabets in use in Europe.
# Latin: a-z, the Nordic å ä ö and the letters folding keeps apart from them (Icelandic ð þ,
# Sami ŋ ŧ, Maltese ħ, Greenlandic ĸ, Azerbaijani ə); every other Latin letter with a mark
# folds to one of these. A name continuing with a letter of another script after two
# letters of this one is not found by the two letters (three find it).
_CONTINUATIONS = {
    "LATIN": "abcdefghijklmnopqrstuvwxyzåäöðþŋŧħĸə",
    "CYRILLIC": "абвгдежзийклмнопрстуфхцчшщъыьэюяёђѓєѕіїјљњћќўџґ",
    "GREEK": "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώϊϋΐΰ",
    "DIGIT": "0123456789",
}


def continuations(chunk: str) -> str:
    """The characters a folded chunk may continue with in a name (see ``_CONTINUATIONS``);
    empty for scripts without a list (their two-letter chunks are whole words)."""
    last = chunk[-1:]
    if not last:
        return ""
    if last.isdigit():
        return _CONTINUATIONS["DIGIT"]
    script = unicodedata.name(last, "").split(" ", 1)[0]
    return _CONTINUATIONS.get(script, "")


# --------------------------------------------------------------------------- phone prefixes

_PHONE_QUERY_CHARS = frozenset("+0123456789 -.()/")
_NATIONAL_ZERO = re.compile(r"^(\+|00)(\d{1,3})\s*\(0\)")


def is_phone_query(text: str) -> bool:
    """Whether a search query is meant as (part of) a phone number: phone characters only."""
    text = text.strip()
    return bool(text) and set(text) <= _PHONE_QUERY_CHARS and any(ch.isdigit() for ch in text)


def phone_query_digits(text: str, country_code: str = "358") -> str | None:
    """The E.164 digits (no "+") a partial phone number typed in any common format begins with.

    "+358 45", "+35845", "00358 45" and "358 45" are international; "045" and "040 772" are
    national numbers of ``country_code`` (the leading 0 is the trunk prefix). "+358 (0)40"
    drops the "(0)". None when the text is no phone prefix or has fewer than
    ``PHONE_MIN_PREFIX`` digits (such a prefix would match a whole operator's numbers at
    most, and the index has no level for it).
    """
    text = _NATIONAL_ZERO.sub(r"\1\2", text.strip())
    if not is_phone_query(text) or "+" in text[1:]:
        return None
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.startswith("+"):
        pass
    elif digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = country_code + digits[1:]
    elif not digits.startswith(country_code):
        return None  # "40 772": without 0 or a country code it is nobody's prefix
    if not PHONE_MIN_PREFIX <= len(digits) <= 15 or digits.startswith("0"):
        return None
    return digits


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

    __slots__ = (
        "bits",
        "levels",
        "max_prefix",
        "phone_levels",
        "max_phone_prefix",
        "domain_bits",
        "address_bits",
        "_shift",
        "_macs",
        "_memo",
    )

    def __init__(self, key: bytes, bits: int = DEFAULT_BITS):
        if not isinstance(key, bytes) or len(key) < KEY_BYTES:
            raise ValueError(f"a blind-index key must be at least {KEY_BYTES} bytes")
        if not MIN_BITS <= bits <= MAX_BITS:
            raise ValueError(f"bits must be between {MIN_BITS} and {MAX_BITS}")
        self.bits = bits
        self.levels = min(MAX_LEVELS, (MAX_BITS - bits) // LEVEL_BITS)
        self.max_prefix = MIN_PREFIX + self.levels  # longer words are coded by this many letters
        self.phone_levels = min(PHONE_MAX_PREFIX - PHONE_MIN_PREFIX, (MAX_BITS - bits) // LEVEL_BITS)
        self.max_phone_prefix = PHONE_MIN_PREFIX + self.phone_levels
        self.domain_bits = min(bits, MAX_DOMAIN_BITS)
        self.address_bits = min(bits, MAX_BITS - self.domain_bits)
        self._shift = 64 - bits
        # One subkey per kind; a keyed HMAC object is prepared once and copied per value,
        # which is about three times faster than keying HMAC afresh for every term.
        self._macs = {
            kind: HMAC(_mac(key, b"rekisteri-blind-index-v1|" + kind.encode()), SHA256()) for kind in KINDS
        }
        # Digests that many persons share (e-mail domains, the first digits of phone
        # numbers), remembered so bulk loading hashes each once.
        self._memo: dict[tuple[str, str], int] = {}

    def _digest(self, kind: str, term: str) -> int:
        mac = self._macs[kind].copy()
        mac.update(term.encode("utf-8"))
        return int.from_bytes(mac.finalize()[:8], "big")

    def _shared_digest(self, kind: str, term: str) -> int:
        key = (kind, term)
        digest = self._memo.get(key)
        if digest is None:
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            digest = self._memo[key] = self._digest(kind, term)
        return digest

    def value(self, kind: str, term: str) -> int:
        """The ``bits``-wide index value of an already canonical term of ``kind``."""
        return self._digest(kind, term) >> self._shift

    # ----------------------------------------------------------------------- e-mail

    def _domain_level(self, domain: str) -> int:
        return self._shared_digest(KIND_EMAIL_DOMAIN, domain) >> (64 - self.domain_bits)

    def index_email(self, email: str) -> int:
        """The one entry of an address (pass ``email_lookup_key(...)``; it is case-folded
        again here): its domain level, then its address level. An exact lookup is this value."""
        email = email.strip().casefold()
        domain = email.rpartition("@")[2]
        address = self._digest(KIND_EMAIL, email) >> (64 - self.address_bits)
        return (self._domain_level(domain) << self.address_bits) | address

    def email_domain_range(self, domain: str) -> TermRange:
        """The entries of every address at ``domain`` (IDNA-normalised, as stored)."""
        low = self._domain_level(domain.strip().casefold()) << self.address_bits
        return TermRange(KIND_EMAIL, low, low | ((1 << self.address_bits) - 1))

    # ----------------------------------------------------------------------- phone

    def _phone_code(self, digits: str, length: int) -> int:
        # Up to 8 digits a prefix is shared by many numbers (an operator's block holds 10,000
        # mobile numbers per 8-digit prefix): its levels are remembered as one code, so bulk
        # loading hashes about one level per number, as the exact phone entry did.
        shared = min(length, _SHARED_PHONE_DIGITS)
        key = (_PHONE_CODE, digits[:shared])
        code = self._memo.get(key)
        if code is None:
            code = self._digest(KIND_PHONE, digits[:PHONE_MIN_PREFIX]) >> self._shift
            for end in range(PHONE_MIN_PREFIX + 1, shared + 1):
                code = (code << LEVEL_BITS) | (self._digest(KIND_PHONE, digits[:end]) >> (64 - LEVEL_BITS))
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = code
        for end in range(shared + 1, length + 1):
            code = (code << LEVEL_BITS) | (self._digest(KIND_PHONE, digits[:end]) >> (64 - LEVEL_BITS))
        return code

    def phone_range(self, digits: str) -> TermRange:
        """The entries of every number whose E.164 digits begin with ``digits`` (5 or more,
        see ``phone_query_digits``); digits past ``max_phone_prefix`` are left to the re-check."""
        length = min(len(digits), self.max_phone_prefix)
        open_bits = LEVEL_BITS * (self.max_phone_prefix - length)
        low = self._phone_code(digits, length) << open_bits
        return TermRange(KIND_PHONE, low, low | ((1 << open_bits) - 1))

    def index_phone(self, e164: str) -> int:
        """The one entry of a number (pass ``normalize_phone(...)``, E.164): the lowest value
        of its own range."""
        return self.phone_range(e164.strip().removeprefix("+")).low

    # ----------------------------------------------------------------------- names

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
        """The entries of names with the form ``chunk`` or, from 3 letters, a form beginning
        with it (a shorter chunk is a whole word)."""
        if len(chunk) < MIN_PREFIX:
            value = self.value(KIND_NAME_WORD, chunk)
            return TermRange(KIND_NAME_WORD, value, value)
        length = min(len(chunk), self.max_prefix)
        open_bits = LEVEL_BITS * (self.max_prefix - length)
        low = self._prefix_code(chunk, length) << open_bits
        return TermRange(KIND_NAME_PREFIX, low, low | ((1 << open_bits) - 1))

    def chunk_ranges(self, chunk: str) -> tuple[TermRange, ...]:
        """The entries a folded query chunk matches, as alternatives: one range, or for a
        two-letter chunk the whole word and every three-letter prefix it begins."""
        if len(chunk) != MIN_QUERY_PREFIX:
            return (self.chunk_range(chunk),)
        ranges = [self.chunk_range(chunk), *(self.chunk_range(chunk + ch) for ch in continuations(chunk))]
        return tuple(dict.fromkeys(ranges))  # two prefixes may share a truncated value

    def query_terms(self, query: str) -> list[tuple[TermRange, ...]]:
        """Per query chunk, the ranges of which a person's entries must match one; every
        chunk must be matched (AND) for a name to match ``query``.

        They find candidates; ``name_matches`` decides (a whole-word search with
        ``prefixes=False`` uses the same ranges, its re-check drops longer words). An empty
        list means the query has no letters or digits: search nothing rather than everything.
        """
        terms: list[tuple[TermRange, ...]] = []
        for chunk in name_chunks(query):
            alternatives = self.chunk_ranges(chunk)
            if alternatives not in terms:
                terms.append(alternatives)
        return terms


_MEMO_SIZE = 50_000
_SHARED_PHONE_DIGITS = 8
_PHONE_CODE = "phone-code"  # memo entries of whole codes, beside the digests of other kinds


def entries_match(terms: list[tuple[TermRange, ...]], entries: set[tuple[str, int]]) -> bool:
    """Whether index entries satisfy every chunk's ranges (what the database query does)."""
    return bool(terms) and all(
        any(r.matches(kind, value) for r in alternatives for kind, value in entries) for alternatives in terms
    )
