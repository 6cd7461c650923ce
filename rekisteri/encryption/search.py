"""Finding persons through the blind index; candidates are re-checked by the caller."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from rekisteri.encryption.models import PersonSearchTerms, SearchTerm
from rekisteri.encryption.services import NAME_KINDS, TERM_FORMAT, unpack_terms
from rekisteri.keystore.services import indexer
from rekisteri.lib.blind_index import KIND_EMAIL, KIND_PHONE, TermRange

# The blind indexer's kinds as stored in SearchTerm.kind.
_KINDS = {**NAME_KINDS, KIND_EMAIL: SearchTerm.Kind.EMAIL, KIND_PHONE: SearchTerm.Kind.PHONE}


def email_entry(email_lookup: str) -> tuple[int, int]:
    """The blind-index (kind, value) of an e-mail lookup key."""
    return SearchTerm.Kind.EMAIL, indexer().index_email(email_lookup)


_TABLE = SearchTerm._meta.db_table
_ENTRIES = "entries"  # the alias of _TABLE in every statement a `within` condition is part of
_LISTS = PersonSearchTerms._meta.db_table
_PERSON_ID = SearchTerm._meta.get_field("person").target_field
Range = tuple[int, int, int]  # (SearchTerm.kind, low, high)

# A query of several words (chunks) is answered by walking the entries of its narrowest
# chunk, in the index's order, and keeping the persons who have an entry in a range of
# every other chunk. That test reads the person's own list of entries (PersonSearchTerms),
# fetched with the walked entry (one primary-key lookup) and tested here; a subquery of the
# other chunk's entries would first gather every one of them, 170,000 for "ann" at a million
# persons, for each statement (benchmarks/README.md, two-word search).
# Chunks of at most this many ranges are tested against the lists; a two-letter chunk (about
# forty ranges) is tested with a subquery, as before.
_LIST_RANGES = 4
# When one chunk of a query has at most this many entries, every candidate is found from
# them at once (a lookup per entry), and the total is exact.
SMALL_CHUNK = 1000
# Entries counted for a total (of the ranges read, or of the walked chunk for an estimate):
# beyond this, the total is over the first ones and says "more than".
COUNT_CAP = 5_000
# Entries (of the walked chunk, or of the ranges read) whose share that passes the other
# chunks or a role's filter estimates the total.
_SAMPLE = 300
_WALK_BATCH = 2048  # entries fetched per statement while walking, at most
_WITH_LISTS = (
    f"SELECT entries.person_id, entries.kind, entries.term, lists.terms FROM {_TABLE} entries "
    f"LEFT JOIN {_LISTS} lists ON lists.person_id = entries.person_id"
)


def _range_sql(ranges: Iterable[Range]) -> tuple[str, list]:
    parts, params = [], []
    for kind, low, high in ranges:
        if low == high:
            parts.append("(kind = %s AND term = %s)")
            params += [kind, low]
        else:
            parts.append("(kind = %s AND term >= %s AND term <= %s)")
            params += [kind, low, high]
    return " OR ".join(parts), params


def _in_ranges(kind: int, term: int, ranges: Iterable[Range]) -> bool:
    return any(kind == k and low <= term <= high for k, low, high in ranges)


def _shared_prefix(kind: int, low: int, high: int) -> bytes:
    """The bytes every packed entry in [low, high] of `kind` begins with."""
    first, last = TERM_FORMAT.pack(kind, low), TERM_FORMAT.pack(kind, high)
    size = 0
    while size < len(first) and first[size] == last[size]:
        size += 1
    return first[:size]


def _list_prefilter(chunks: tuple[tuple[Range, ...], ...], column: str, vendor: str) -> tuple[str, list]:
    """SQL true for every list with an entry in each chunk (and for a few without: the
    bytes every entry of a range begins with may also occur across two entries); _passes
    decides. Byte search runs inside the database, so only those rows come back."""
    find = "instr({column}, %s) > 0" if vendor == "sqlite" else "position(%s in {column}) > 0"
    clauses, params = [], []
    for chunk in chunks:
        alternatives = []
        for kind, low, high in chunk:
            alternatives.append(find.format(column=column))
            params.append(_shared_prefix(kind, low, high))
        clauses.append("(" + " OR ".join(alternatives) + ")")
    return f"({column} IS NULL OR ({' AND '.join(clauses)}))", params


def _passes(packed, chunks: tuple[tuple[Range, ...], ...]) -> bool:
    """Whether a person's packed entries have one in every chunk (no list: yes, and the
    re-check after decryption decides, as for any candidate)."""
    if packed is None:
        return True
    entries = unpack_terms(packed)
    return all(any(_in_ranges(kind, term, chunk) for kind, term in entries) for chunk in chunks)


@dataclass(frozen=True)
class Candidates:
    """The persons a query's index entries point at, in the index's order, range by range.

    A two-letter name chunk is some forty ranges. Read as one query ordered by the index,
    the database would gather and sort every entry of all of them for each page (SQLite
    merges the ranges, then sorts); read range after range, each is a walk along the
    primary key that stops when the page is full; one statement first finds the empty ranges
    (an index probe each), and the total counts entries range after range until COUNT_CAP
    (counting all of them was half of such a search at a million persons). The statements
    are written here rather than built by the ORM: for forty ranges, building them cost more
    than running them. A person may appear twice (two name forms in range): readers skip ids
    they have seen.
    """

    segments: tuple[Range, ...]  # in the primary key's order
    # Every other chunk of the query: a person must have an entry in one range of each.
    others: tuple[tuple[Range, ...], ...] = ()
    # Conditions (SQL, params) on each candidate entry `entries`: its person is among
    # visible_persons, filtered (EXISTS), or not among the few persons they leave out (NOT IN).
    within: tuple[tuple[str, tuple], ...] = ()

    def restricted(self, persons: QuerySet) -> Candidates:
        """Only candidates among `persons` (visible_persons, filtered).

        Tested per candidate entry (EXISTS with the person's primary key): `person_id IN
        (persons)` would make the database gather every one of `persons` first, all but the
        few restricted ones for a salesperson's search, for each statement
        (benchmarks/README.md, search at 1,000,000)."""
        correlated = persons.order_by().filter(pk=RawSQL(f"{_ENTRIES}.person_id", ())).values("pk")
        return self._with_condition("EXISTS", correlated)

    def excluding(self, persons: QuerySet) -> Candidates:
        """Only candidates not among `persons`, which must be few (the restricted persons of
        Art. 18): the database gathers them once per statement and tests each candidate
        against that set, where restricted() of the complement looks up every candidate's
        person."""
        return self._with_condition(f"{_ENTRIES}.person_id NOT IN", persons.order_by().values("pk"))

    def _with_condition(self, test: str, persons: QuerySet) -> Candidates:
        sql, params = persons.query.sql_with_params()
        return replace(self, within=(*self.within, (f"{test} ({sql})", tuple(params))))

    @property
    def by_lists(self) -> bool:
        """Whether the other chunks are tested against each person's list of entries."""
        return bool(self.others) and all(
            len(chunk) <= _LIST_RANGES for chunk in (self.segments, *self.others)
        )

    def _where(self, segments: tuple[Range, ...], *, within: bool = True) -> tuple[str, list]:
        sql, params = _range_sql(segments)
        clauses = [f"({sql})"]
        for alternatives in self.others:
            other, other_params = _range_sql(alternatives)
            clauses.append(f"person_id IN (SELECT person_id FROM {_TABLE} WHERE {other})")
            params += other_params
        for condition, condition_params in self.within if within else ():
            clauses.append(condition)
            params += condition_params
        return " AND ".join(clauses), params

    def _within_sql(self) -> tuple[str, list]:
        clauses, params = [], []
        for condition, condition_params in self.within:
            clauses.append(f" AND {condition}")
            params += condition_params
        return "".join(clauses), params

    def chunk_sizes(self) -> list[int]:
        """Entries of each chunk (the walked one first), counted up to SMALL_CHUNK + 1."""
        parts, params = [], []
        for chunk in (self.segments, *self.others):
            sql, chunk_params = _range_sql(chunk)
            parts.append(f"(SELECT COUNT(*) FROM (SELECT 1 FROM {_TABLE} WHERE {sql} LIMIT %s) capped)")
            params += [*chunk_params, SMALL_CHUNK + 1]
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts), params)
            return list(cursor.fetchone())

    def _with_lists(self, where: str, params: list) -> list:
        """(person id, kind, term, packed list) of the entries matching `where`."""
        within, within_params = self._within_sql()
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(f"{_WITH_LISTS} WHERE ({where}){within}", [*params, *within_params])
            return cursor.fetchall()

    def all_entries(self, small: int) -> list | None:
        """Every candidate entry, in the order the walk gives them (person ids, a person once
        per entry in the walked chunk), found from chunk number `small` (0: the walked one)
        and the persons' lists; None when a candidate has no list (entries restored without
        theirs: then the walk decides)."""
        chunks = (self.segments, *self.others)
        sql, params = _range_sql(chunks[small])
        tests = tuple(chunk for n, chunk in enumerate(chunks) if n != small)
        test, test_params = _list_prefilter(tests, "lists.terms", connections[DEFAULT_DB_ALIAS].vendor)
        sql, params = f"({sql}) AND {test}", [*params, *test_params]
        found, done = [], set()
        to_python = _PERSON_ID.to_python
        for person_id, _, _, packed in self._with_lists(sql, params):
            if person_id in done:
                continue
            done.add(person_id)
            if packed is None:
                return None
            if _passes(packed, tests):
                pid = to_python(person_id)
                found += [(k, t, pid) for k, t in unpack_terms(packed) if _in_ranges(k, t, self.segments)]
        found.sort()
        return [person_id for _, _, person_id in found]

    def walk(self, segment: Range, after: tuple | None, count: int) -> list:
        """Up to `count` entries of `segment` after the entry `after` (kind, term, raw person
        id), in the index's order, whose persons' lists may pass the other chunks:
        (person id, kind, term, packed list)."""
        sql, params = _range_sql([segment])
        if after is not None:
            # A row value: both databases read the index from that entry on.
            sql = f"({sql}) AND (entries.kind, entries.term, entries.person_id) > (%s, %s, %s)"
            params = [*params, *after]
        connection = connections[DEFAULT_DB_ALIAS]
        test, test_params = _list_prefilter(self.others, "lists.terms", connection.vendor)
        within, within_params = self._within_sql()
        with connection.cursor() as cursor:
            cursor.execute(
                f"{_WITH_LISTS} WHERE ({sql}) AND {test}{within} "
                "ORDER BY entries.kind, entries.term, entries.person_id LIMIT %s",
                [*params, *test_params, *within_params, count],
            )
            return cursor.fetchall()

    def sample_share(self, segment: Range) -> tuple[int, int]:
        """(entries, of which the prefilter lets through) among the first _SAMPLE entries
        of `segment`: the share of the walked chunk that passes, for an estimated total."""
        sql, params = _range_sql([segment])
        connection = connections[DEFAULT_DB_ALIAS]
        test, test_params = _list_prefilter(self.others, "lists.terms", connection.vendor)
        within, within_params = self._within_sql()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN {test}{within} THEN 1 ELSE 0 END), 0) FROM "
                f"(SELECT person_id FROM {_TABLE} WHERE {sql} "
                "ORDER BY kind, term, person_id LIMIT %s) entries "
                f"LEFT JOIN {_LISTS} lists ON lists.person_id = entries.person_id",
                [*test_params, *within_params, *params, _SAMPLE],
            )
            return cursor.fetchone()

    def size(self, cap: int) -> int:
        """Entries of the walked chunk in the index, counted up to `cap` + 1 (sample_share
        gives the share that passes the other chunks and `within`)."""
        sql, params = _range_sql(self.segments)
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM (SELECT 1 FROM {_TABLE} WHERE {sql} LIMIT %s) c", [*params, cap + 1]
            )
            return cursor.fetchone()[0]

    def person_ids(self) -> QuerySet:
        """The candidates as a subquery (`pk__in=...`) for an exact lookup (one range)."""
        if len(self.segments) != 1 or self.others or self.within:
            raise ValueError("only the candidates of one range make one subquery")
        kind, low, high = self.segments[0]
        return SearchTerm.objects.filter(kind=kind, term__gte=low, term__lte=high).values("person_id")

    def _entries_sql(self) -> tuple[str, list]:
        """The segments' entries (person_id), segment after segment, `within` left out: a
        statement reading them under a LIMIT stops there (UNION ALL is read lazily); one
        statement over all forty ranges of a two-letter word would gather every entry first."""
        parts, params = self._each_segment("SELECT person_id FROM {table} {entries} WHERE {where}")
        return " UNION ALL ".join(parts), params

    def _each_segment(self, template: str) -> tuple[list[str], list]:
        """`template` filled with each segment's condition (`within` left out), and the params."""
        parts, params = [], []
        for segment in self.segments:
            where, where_params = self._where((segment,), within=False)
            parts.append(template.format(table=_TABLE, entries=_ENTRIES, where=where))
            params += where_params
        return parts, params

    def nonempty(self) -> list[bool]:
        """Whether each segment has an entry (`within` left out), in one statement: an index
        probe each, so that reading skips the empty ones of some forty ranges."""
        parts, params = self._each_segment("EXISTS (SELECT 1 FROM {table} {entries} WHERE {where})")
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts), params)
            return [bool(found) for found in cursor.fetchone()]

    def count_entries(self, cap: int) -> int:
        """The segments' entries in the index, counted up to `cap` + 1 (`within` is
        estimated by within_share: testing it costs a lookup per entry)."""
        entries, params = self._entries_sql()
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({entries} LIMIT %s) c", [*params, cap + 1])
            return cursor.fetchone()[0]

    def within_share(self) -> tuple[int, int]:
        """(entries, of which pass `within`) among the segments' first _SAMPLE entries."""
        entries, params = self._entries_sql()
        within, within_params = self._within_sql()
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN 1 = 1{within} THEN 1 ELSE 0 END), 0) FROM "
                f"({entries} LIMIT %s) {_ENTRIES}",
                [*within_params, *params, _SAMPLE],
            )
            return cursor.fetchone()

    def read(self, segment: Range, offset: int, count: int) -> list:
        """Person ids of one segment, in the index's order."""
        where, params = self._where((segment,))
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT person_id FROM {_TABLE} {_ENTRIES} WHERE {where} "
                "ORDER BY kind, term, person_id LIMIT %s OFFSET %s",
                [*params, count, offset],
            )
            to_python = _PERSON_ID.to_python
            return [to_python(row[0]) for row in cursor.fetchall()]

    def reader(self) -> CandidateReader:
        return CandidateReader(self)

    def __iter__(self):
        """Rows {"person_id": ...} in order (tests and small reads)."""
        reader = self.reader()
        while not reader.exhausted:
            for person_id in reader.read(1000):
                yield {"person_id": person_id}


class CandidateReader:
    """Reads person ids in order, any number at a time, range after range.

    A query of one word (or with a two-letter word) reads its ranges in turn, and its total
    counts their entries up to COUNT_CAP (`capped` beyond: "more than").

    A query of several words whose chunks are tested against the persons' lists (by_lists):
    when one chunk is small, every candidate is found at once (`total` exact); otherwise the
    narrowest chunk is walked in batches, keeping the entries that pass, and the total is
    estimated from the share that passed (`capped` when the walked chunk has more than
    COUNT_CAP entries: the estimate is over its first ones, a lower bound).
    """

    def __init__(self, candidates: Candidates):
        segments = candidates.segments
        self._all: list | None = None
        self._walking = False
        self.capped = False
        if candidates.by_lists:
            sizes = candidates.chunk_sizes()
            smallest = min(range(len(sizes)), key=sizes.__getitem__)
            if sizes[smallest] <= SMALL_CHUNK:
                self._all = candidates.all_entries(smallest)
            self._walking = self._all is None
        self.total: int | None = None  # counted only when asked (count())
        if self._all is not None:
            self.total = len(self._all)
        elif len(segments) > 1 and not self._walking:
            found = candidates.nonempty()
            segments = tuple(segment for segment, has in zip(segments, found, strict=True) if has)
        self._candidates = candidates
        self._segments = segments
        self._index = 0
        self._position = 0
        # The walk: the last entry read (kind, term, raw id), entries that passed, and those
        # not yet returned.
        self._after: tuple | None = None
        self._passed = 0
        self._buffer: list = []

    @property
    def exhausted(self) -> bool:
        if self._all is not None:
            return self._position >= len(self._all)
        if self._walking and self._buffer:
            return False
        return self._index >= len(self._segments)

    def read(self, count: int) -> list:
        if self._all is not None:
            found = self._all[self._position : self._position + count]
            self._position += len(found)
            return found
        if self._walking:
            return self._walk(count)
        found: list = []
        while len(found) < count and not self.exhausted:
            wanted = count - len(found)
            ids = self._candidates.read(self._segments[self._index], self._position, wanted)
            found.extend(ids)
            if len(ids) < wanted:
                self._index, self._position = self._index + 1, 0
            else:
                self._position += len(ids)
        return found

    def _walk(self, count: int) -> list:
        others = self._candidates.others
        to_python = _PERSON_ID.to_python
        while len(self._buffer) < count and self._index < len(self._segments):
            # Rows the prefilter let through: nearly all pass, so ask for what is missing (each
            # row asked for may cost a walk past a hundred entries that fail the prefilter).
            batch = min(count - len(self._buffer), _WALK_BATCH)
            rows = self._candidates.walk(self._segments[self._index], self._after, batch)
            for person_id, _, _, packed in rows:
                if _passes(packed, others):
                    self._buffer.append(to_python(person_id))
                    self._passed += 1
            if len(rows) < batch:
                self._index, self._after = self._index + 1, None
            else:
                person_id, kind, term, _ = rows[-1]
                self._after = (kind, term, person_id)
        found, self._buffer = self._buffer[:count], self._buffer[count:]
        return found

    def count(self) -> int:
        """Candidate entries: counted up to COUNT_CAP (`capped` beyond), or estimated
        (walking, or with `within`)."""
        if self.total is None:
            if self._walking:
                self.total = self._estimate()
            else:
                entries = self._candidates.count_entries(COUNT_CAP)
                self.capped = entries > COUNT_CAP
                self.total = entries = min(entries, COUNT_CAP)
                if self._candidates.within and entries:
                    sampled, passing = self._candidates.within_share()
                    # A sample of every entry gives the exact figure.
                    exact = sampled >= entries and not self.capped
                    self.total = passing if exact else round(entries * passing / max(sampled, 1))
        return self.total

    def _estimate(self) -> int:
        """The walked chunk's entries (up to COUNT_CAP) at the share of its first _SAMPLE
        that pass, and never fewer than passed already."""
        if self._index >= len(self._segments):
            return self._passed
        sampled, passing = self._candidates.sample_share(self._segments[self._index])
        size = self._candidates.size(COUNT_CAP)
        self.capped = size > COUNT_CAP
        return max(self._passed, round(min(size, COUNT_CAP) * passing / max(sampled, 1)))


def _range(term_range: TermRange) -> Range:
    return (int(_KINDS[term_range.kind]), term_range.low, term_range.high)


def candidates_by_email(email_lookup: str) -> Candidates:
    """Persons whose e-mail index matches (false positives possible: re-check)."""
    kind, term = email_entry(email_lookup)
    return Candidates(((int(kind), term, term),))


def candidates_by_email_domain(domain: str) -> Candidates:
    """Persons whose e-mail address is at this (normalised) domain, or collides with it."""
    return Candidates((_range(indexer().email_domain_range(domain)),))


def candidates_by_phone(digits: str) -> Candidates:
    """Persons whose phone number's E.164 digits begin with `digits` (phone_query_digits),
    as far as the index codes them: re-check the whole prefix."""
    return Candidates((_range(indexer().phone_range(digits)),))


def candidates_by_name(query: str) -> Candidates | None:
    """Persons having entries for every chunk of a name query; None when it has no terms.

    The narrowest chunk (the longest query word) drives, one segment per range of it; the
    other chunks filter.
    """
    terms = sorted(indexer().query_terms(query), key=lambda ranges: sum(r.high - r.low + 1 for r in ranges))
    if not terms:
        return None
    segments = tuple(sorted(dict.fromkeys(_range(r) for r in terms[0])))
    others = tuple(tuple(_range(r) for r in ranges) for ranges in terms[1:])
    return Candidates(segments, others)
