"""What the benchmark measures, as plain functions on a configured Django (see run.py).

`run_all` loads N generated persons through person_bulk_create and times each operation in
OPERATIONS, every operation inside a fresh key scope as a request would have. The smoke
test (tests/test_benchmark_smoke.py) runs the same functions on the test database.

`encryption_switched_off()` replaces, in this process only, the field cipher by an identity
cipher, the key store by nothing and the blind index's HMAC by CRC-32, so the same code
paths run without cryptography and the cost of encryption shows as a ratio.
"""

from __future__ import annotations

import random
import secrets
import statistics
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from benchmarks import finding, training
from rekisteri.accounts.models import Role
from rekisteri.accounts.services import staff_create
from rekisteri.audit.actor import Actor
from rekisteri.contacts.selectors import interaction_timeline
from rekisteri.contacts.services import interaction_create
from rekisteri.demo.data import ascii_fold
from rekisteri.demo.vocabulary import FIRST_NAMES, LAST_NAMES, TITLES
from rekisteri.keystore import services as keystore
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.lib.blind_index import BlindIndexer
from rekisteri.organizations.services import organization_create
from rekisteri.people import bulk  # noqa: F401  (imported before encryption_switched_off patches names)
from rekisteri.people.bulk import person_bulk_create
from rekisteri.people.models import Person
from rekisteri.people.selectors import SORT_LIMIT, person_get, person_search
from rekisteri.privacy.erasure import person_erase
from rekisteri.privacy.services import basis_set, source_add

INTERACTIONS_PER_CARD = 5


# --------------------------------------------------------------------------- test data

_SURNAME_STEMS = [
    "Virta", "Mäki", "Koski", "Lahti", "Järvi", "Niemi", "Salo", "Kivi", "Laakso", "Harju",
    "Mänty", "Honka", "Leppä", "Koivu", "Halla", "Rinta", "Kallio", "Kangas", "Vuori", "Heino",
    "Karhu", "Kokko", "Pelto", "Ranta", "Saari", "Lampi", "Aho", "Tuomi", "Kaski", "Kumpu",
    "Hiltu", "Pakka", "Rautio", "Väli", "Ylä", "Ala", "Sipi", "Tiili", "Örn", "Hämä",
]  # fmt: skip
_SURNAME_SUFFIXES = ["nen", "lä", "la", "mäki", "salo", "aho", "kangas", "vaara", "oja", "lahti", "järvi"]
_SWEDISH = ["Lindqvist", "Åberg", "Lindholm", "Sjöberg", "Forsström", "Grönroos", "Wikström", "Ek"]


def _zipf_choice(rng: random.Random, values: list[str], weights: list[float]) -> Callable[[], str]:
    cumulative = list(_accumulate(weights))
    return lambda: rng.choices(values, cum_weights=cumulative)[0]


def _accumulate(weights: Iterable[float]) -> Iterator[float]:
    total = 0.0
    for weight in weights:
        total += weight
        yield total


def generate_rows(count: int, *, seed: int, organization_ids: list[int]) -> list[dict[str, Any]]:
    """Deterministic Finnish-looking persons: realistic name frequencies, unique e-mails.

    Surnames follow a Zipf-like curve over about 500 names (a few very common, a long tail),
    a tenth of first names and a few surnames are compounds; e-mails and phones come in the
    mixed case and formats people type.
    """
    rng = random.Random(seed)
    surnames = list(dict.fromkeys(LAST_NAMES + [s + x for s in _SURNAME_STEMS for x in _SURNAME_SUFFIXES]))
    surnames += _SWEDISH
    last = _zipf_choice(rng, surnames, [1 / (rank + 1) ** 0.9 for rank in range(len(surnames))])
    first = _zipf_choice(rng, FIRST_NAMES, [1 / (rank + 1) ** 0.6 for rank in range(len(FIRST_NAMES))])
    seen: Counter[str] = Counter()
    rows = []
    for _ in range(count):
        first_name = first()
        if rng.random() < 0.1 and "-" not in first_name:
            first_name = f"{first_name}-{first()}"
        last_name = last()
        if rng.random() < 0.03:
            last_name = f"{last_name}-{last()}"
        organization = rng.choice(organization_ids) if organization_ids and rng.random() < 0.85 else None
        domain = (
            f"yritys{organization}.example"
            if organization
            else rng.choice(["posti.example", "koulu.example"])
        )
        local = f"{ascii_fold(first_name)}.{ascii_fold(last_name)}".lower().replace(" ", "")
        seen[f"{local}@{domain}"] += 1
        if seen[f"{local}@{domain}"] > 1:
            local = f"{local}{seen[f'{local}@{domain}']}"
        email = f"{local}@{domain}"
        if rng.random() < 0.1:
            email = email.title()
        number = f"{rng.choice(['40', '41', '44', '45', '50'])}{rng.randrange(10**7):07d}"
        phone = rng.choice([f"0{number[:2]} {number[2:5]} {number[5:]}", f"+358 {number}", f"0{number}"])
        categories = [rng.choices(["customer_representative", "prospect_contact", "student"], [5, 3, 2])[0]]
        if rng.random() < 0.05:
            categories.append("student")
        rows.append(
            {
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "phone": phone if rng.random() < 0.8 else "",
                "organization": organization,
                "title": rng.choice(TITLES) if organization else "",
                "self_given_info": "Kiinnostunut koulutuksista." if rng.random() < 0.05 else "",
                "categories": categories,
            }
        )
    return rows


# --------------------------------------------------------------------------- the bench


@dataclass
class Bench:
    reader: Actor  # a salesperson with an NDA: card reads and searches
    officer: Actor  # the privacy officer: erasures
    rows: list[dict[str, Any]]
    rng: random.Random
    person_ids: list = field(default_factory=list)
    used: set = field(default_factory=set)

    def sample_persons(self, count: int) -> list:
        """Persons not used by an earlier operation (erasure must not hit a read sample)."""
        free = [pid for pid in self.person_ids if pid not in self.used]
        picked = self.rng.sample(free, min(count, len(free)))
        self.used.update(picked)
        return picked


def staff_actors() -> tuple[Actor, Actor]:
    system = Actor.system("benchmark", origin="cli")
    signed = date.today() - timedelta(days=30)
    actors = []
    for username, role in (("bench-sales", Role.SALES), ("bench-privacy", Role.PRIVACY_OFFICER)):
        profile = staff_create(
            actor=system,
            username=username,
            role=role,
            password=secrets.token_urlsafe(24),
            nda_signed_on=signed,
        )
        actors.append(Actor.for_user(profile.user, "ui"))
    return actors[0], actors[1]


def organizations_create(count: int) -> list[int]:
    system = Actor.system("benchmark", origin="cli")
    return [
        organization_create(actor=system, name=f"Benchmark {n} Oy", city="Tampere", status="customer").pk
        for n in range(1, count + 1)
    ]


def load(bench: Bench, *, batch_size: int, progress: Callable[[int], None] | None = None) -> dict[str, float]:
    """Create every generated row through person_bulk_create: persons per second of wall time,
    and per second of this process's CPU time (which a busy machine inflates less)."""

    def rows() -> Iterator[dict[str, Any]]:
        for number, row in enumerate(bench.rows, start=1):
            if progress is not None and number % 10_000 == 0:
                progress(number)
            yield row

    started, cpu_started = time.perf_counter(), time.process_time()
    created = person_bulk_create(actor=bench.reader, rows=rows(), batch_size=batch_size)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    bench.person_ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    settle()
    return {"rate": created / elapsed, "cpu_rate": created / cpu}


def settle() -> None:
    """Finish the load's background work before timing reads, as a register in use has.

    Right after an import of 10^5 persons PostgreSQL is still writing out the import's WAL
    and autovacuum has not analysed the new tables; every audited read's commit would wait
    behind that I/O. SQLite's WAL is checkpointed and emptied likewise.
    """
    for alias in ("default", KEYSTORE_DB):
        db = connections[alias]
        if db.in_atomic_block:
            # The smoke test's transaction: nothing to settle, and a database-wide ANALYZE
            # there would lock shared catalogs against the other connection's.
            continue
        with db.cursor() as cursor:
            if db.vendor == "postgresql":
                cursor.execute("VACUUM ANALYZE")
                cursor.execute("CHECKPOINT")  # needs a superuser or pg_checkpoint, as in the benchmark
            else:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def commit_latency(samples: int = 100) -> float:
    """Median milliseconds of committing one tiny row: the floor under every audited read.

    Every read of personal data writes its audit event and commits it durably, so no read
    is faster than the storage's flush. Creates a scratch table: throwaway databases only.
    """
    connection = connections["default"]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS benchmark_commit_probe (n integer)")
    timings = []
    for n in range(samples):
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO benchmark_commit_probe (n) VALUES (%s)", [n])
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def cpu_probe(rounds: int = 5) -> float:
    """Best-of-`rounds` milliseconds of a fixed pure-Python workload: how fast this machine's
    CPU runs the interpreter right now. On a shared VM it varies by a fifth or more within
    an hour, and every figure of the table with it."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        total = 0
        for number in range(300_000):
            total += number * number % 7
        best = min(best, time.perf_counter() - started)
    return best * 1000


# --------------------------------------------------------------------------- operations


def _card_prepare(bench: Bench, count: int) -> list:
    """Persons with a legal basis, a source and a few interactions, written through the services."""
    persons = bench.sample_persons(count)
    for person in Person.objects.filter(pk__in=persons):
        basis_set(
            actor=bench.reader,
            person=person,
            purpose="customer_relationship",
            basis="contract",
            justification="Asiakkaan yhteyshenkilö, sopimus 2025.",
        )
        source_add(
            actor=bench.reader, person=person, kind="employer_or_partner", detail="Asiakkaan ilmoittama."
        )
        for n in range(INTERACTIONS_PER_CARD):
            interaction_create(
                actor=bench.reader,
                person=person,
                kind="call",
                text=f"Soitto {n + 1}: kysyi tarjousta koulutuksesta.",
                occurred_at=timezone.now() - timedelta(days=n),
            )
    return persons


def _card_read(bench: Bench, person_id) -> int:
    """What the person card shows: the person, categories, bases, sources and a timeline page."""
    person = person_get(actor=bench.reader, person_id=person_id)
    values = [person.first_name, person.last_name, person.email, person.phone, person.title]
    values += [person.organization.name if person.organization_id else ""]
    values += [c.category for c in person.categories.all()]
    values += [b.justification for b in person.bases.all()] + [s.detail for s in person.sources.all()]
    timeline = interaction_timeline(person.pk)  # the first page and the total, as the card view
    values += [interaction.text for interaction in timeline.interactions]
    return len(timeline.interactions)


def _email_prepare(bench: Bench, count: int) -> list[str]:
    return [row["email"] for row in bench.rng.sample(bench.rows, min(count, len(bench.rows)))]


def _email_lookup(bench: Bench, email: str) -> int:
    return len(person_search(actor=bench.reader, query=email.upper()).results)


def _name_prepare(bench: Bench, count: int) -> list[str]:
    """Four-letter prefixes of common surnames: each query has a full page of 20 hits."""
    common = [name for name, n in Counter(row["last_name"] for row in bench.rows).most_common(30) if n >= 40]
    common = common or [Counter(row["last_name"] for row in bench.rows).most_common(1)[0][0]]
    return [bench.rng.choice(common)[:4].lower() for _ in range(count)]


def _name_search(bench: Bench, query: str) -> int:
    return len(person_search(actor=bench.reader, query=query, limit=20).results)


def _two_names_prepare(bench: Bench, count: int) -> list[str]:
    """First- and last-name prefixes of existing persons ("ann virt"): a selective query."""
    rows = bench.rng.sample(bench.rows, min(count, len(bench.rows)))
    return [f"{row['first_name'][:3]} {row['last_name'][:4]}".lower() for row in rows]


def _erase_prepare(bench: Bench, count: int) -> list:
    return bench.sample_persons(count)


def _erase(bench: Bench, person_id) -> int:
    person_erase(actor=bench.officer, person_id=person_id, reason="erasure_request")
    return 1


def _package_prepare(bench: Bench, count: int) -> list:
    # The card fixtures give these persons bases, sources and contact history to package.
    return _card_prepare(bench, count)


def _package_build(bench: Bench, person_id) -> int:
    """Art. 15: one person's access package from the personal-data registry, as JSON and HTML."""
    from rekisteri.rights.fulfilment import access_package, access_package_html

    package = access_package(actor=bench.officer, person_id=person_id)
    access_package_html(package, "fi")
    return 1


def _intake_prepare(bench: Bench, count: int) -> list[tuple[str, str]]:
    """Known addresses, each from its own client (the throttle counts per address and client)."""
    rows = bench.rng.sample(bench.rows, min(count, len(bench.rows)))
    return [(row["email"], f"198.51.100.{n % 250}:{n}") for n, row in enumerate(rows)]


def _intake(bench: Bench, item: tuple[str, str]) -> int:
    """A portal request: throttle check, request with its own key, verification link, mail."""
    from rekisteri.rights.services import portal_submit

    email, client = item
    portal_submit(type="access", email=email, details="", language="fi", client=client)
    return 1


@dataclass(frozen=True)
class Operation:
    key: str
    label: str
    target_ms: float | None
    prepare: Callable[[Bench, int], list]  # picks the items and writes their fixtures (not timed)
    run: Callable[[Bench, Any], int]  # one timed operation; returns its hit count
    samples: str = "reads"  # the run_all argument that sets the number of samples
    target_on: str = "median"  # the figure the target applies to: "median" or "p95"


OPERATIONS = [
    Operation("card_read", "person card read", 5, _card_prepare, _card_read),
    Operation("email_lookup", "e-mail lookup", 2, _email_prepare, _email_lookup),
    Operation("name_search", "name-prefix search, 20 hits", 20, _name_prepare, _name_search),
    # Issue 16, section 4: "Anna Virt" has the target of one word, at 1,000,000 persons too.
    Operation(
        "two_names",
        "search by first + last name prefixes",
        20,
        _two_names_prepare,
        _name_search,
        target_on="p95",
    ),
    # Issue 10, section 2: finding people.
    Operation(
        "two_letters", "two-letter name search, 20 hits", 20, finding.two_letters_prepare, _name_search
    ),
    Operation("phone_prefix", "partial phone number search", 20, finding.phone_prefix_prepare, _name_search),
    Operation("email_domain", "e-mail domain search, 20 hits", 20, finding.domain_prepare, _name_search),
    Operation(
        "list_org_name",
        "person list: one organization by name",
        50,
        finding.org_name_prepare,
        finding.org_name_list,
    ),
    Operation(
        "list_contact",
        "person list: students by last contact",
        50,
        finding.contact_prepare,
        finding.contact_list,
    ),
    Operation(
        "list_bound",
        f"person list: {SORT_LIMIT:,} persons by name",
        200,
        finding.bound_prepare,
        finding.bound_list,
    ),
    Operation(
        "list_by_org",
        "person list: all by organization",
        50,
        finding.by_organization_prepare,
        finding.by_organization_list,
    ),
    Operation(
        "export",
        "export of ~300 persons as XLSX",
        1000,
        finding.export_prepare,
        finding.export,
        samples="exports",
    ),
    # Issue 12: the training report to a customer organization, a disclosure logged per person.
    Operation(
        "training_report",
        f"training report of {training.PARTICIPANTS:,} participants, CSV",
        1000,
        training.report_prepare,
        training.report_csv,
        samples="exports",
    ),
    Operation(
        "training_report_pdf",
        f"training report of {training.PARTICIPANTS:,} participants, PDF",
        1000,
        training.report_prepare,
        training.report_pdf,
        samples="exports",
    ),
    # Issue 4 (data-subject rights), before the erasure, which deletes persons.
    Operation("access_package", "access package of one person", 200, _package_prepare, _package_build),
    Operation("portal_intake", "portal request intake", 50, _intake_prepare, _intake),
    Operation("erasure", "erasure of one person", 50, _erase_prepare, _erase, samples="erasures"),
]
BULK_TARGET = 10_000  # persons per second on one core


def time_operation(bench: Bench, operation: Operation, items: list) -> dict[str, Any]:
    timings, hits = [], []
    for item in items:
        started = time.perf_counter()
        with keystore.key_scope():  # a fresh scope per operation, as each request has
            hits.append(operation.run(bench, item))
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "median": statistics.median(timings),
        "p95": timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))],
        "samples": len(timings),
        "hits": statistics.mean(hits) if hits else 0,
    }


def run_all(
    *,
    persons: int,
    reads: int = 200,
    erasures: int = 50,
    seed: int = 20250601,
    batch_size: int = 5000,
    organizations: int | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Load `persons` persons and time every operation; returns {key: figures}."""
    reader, officer = staff_actors()
    # About 300 persons an organization at 100,000 persons and beyond (300 organizations,
    # then one per 300 persons): a list of one organization sorted by name must stay within
    # SORT_LIMIT, as it does in a real register, where it would be refused otherwise.
    count = organizations or min(max(300, persons // 300), max(1, persons // 20))
    organization_ids = organizations_create(count)
    bench = Bench(reader=reader, officer=officer, rows=[], rng=random.Random(seed))
    bench.rows = generate_rows(persons, seed=seed, organization_ids=organization_ids)
    log(f"loading {persons:,} persons")
    results: dict[str, Any] = {
        "bulk_create": load(bench, batch_size=batch_size, progress=lambda n: log(f"  {n:,}"))
    }
    log(f"  {results['bulk_create']['rate']:,.0f} persons/s")
    counts = {"reads": reads, "erasures": erasures, "exports": max(3, erasures // 5)}
    for operation in OPERATIONS:
        items = operation.prepare(bench, counts[operation.samples])
        results[operation.key] = time_operation(bench, operation, items)
        log(f"{operation.label}: median {results[operation.key]['median']:.2f} ms")
    return results


# --------------------------------------------------------------------------- encryption off


class _PlainCipher:
    """The FieldCipher interface without encryption: values are stored as UTF-8 bytes."""

    def encrypt(self, plaintext, *, table, column, row_id):
        if plaintext is None:
            return None
        return plaintext.encode("utf-8") if isinstance(plaintext, str) else bytes(plaintext)

    def decrypt_bytes(self, blob, *, table, column, row_id):
        return None if blob is None else bytes(blob)

    def decrypt(self, blob, *, table, column, row_id):
        return None if blob is None else bytes(blob).decode("utf-8")


class _PlainIndexer(BlindIndexer):
    """The blind indexer's term rules with CRC-32 instead of a keyed HMAC: same rows, no crypto."""

    __slots__ = ()

    def value(self, kind: str, term: str) -> int:
        return zlib.crc32(f"{kind}|{term}".encode()) & ((1 << self.bits) - 1)


@contextmanager
def encryption_switched_off() -> Iterator[None]:
    """Run the register without encryption, in this process only (benchmarks, never production).

    Every reference to the key store's create_keys, ciphers_for, cipher_for and key_destroy
    in the loaded rekisteri modules is replaced: no data keys are created, stored, looked up
    or destroyed, and fields are stored as plain UTF-8. The blind index keeps its rows and
    term rules (a plaintext register would need comparable indexes) but hashes with CRC-32.
    """
    plain = _PlainCipher()
    replacements: dict[str, Callable[..., Any]] = {
        "create_keys": lambda person_ids: {str(pid): plain for pid in person_ids},
        "ciphers_for": lambda person_ids: {str(pid): plain for pid in person_ids},
        "cipher_for": lambda person_id, *, create=False: plain,
        "key_destroy": lambda **kwargs: None,
    }
    originals = {name: getattr(keystore, name) for name in replacements}
    patched = []
    for module in list(sys.modules.values()):
        if not getattr(module, "__name__", "").startswith(("rekisteri", "benchmarks")):
            continue
        for name, original in originals.items():
            if getattr(module, name, None) is original:
                setattr(module, name, replacements[name])
                patched.append((module, name, original))
    keystore.reset_state()
    keystore._indexer = _PlainIndexer(bytes(32), bits=settings.BLIND_INDEX_BITS)
    try:
        yield
    finally:
        for module, name, original in reversed(patched):
            setattr(module, name, original)
        keystore.reset_state()
