"""The benchmark's operations for finding people (issue 10, section 2): searches from two
letters, by phone prefix and e-mail domain, person list pages and an export.

Plain functions on a `scenarios.Bench`, listed in scenarios.OPERATIONS.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import connections, transaction
from django.utils import timezone

from rekisteri.people.models import Person
from rekisteri.people.selectors import SORT_LIMIT

if TYPE_CHECKING:
    from benchmarks.scenarios import Bench


def two_letters_prepare(bench: Bench, count: int) -> list[str]:
    """The first two letters of common surnames ("vi", "ko"): thousands of matches each."""
    common = [name for name, _n in Counter(row["last_name"] for row in bench.rows).most_common(10)]
    return [bench.rng.choice(common)[:2].lower() for _ in range(count)]


def phone_prefix_prepare(bench: Bench, count: int) -> list[str]:
    """The first eight digits of existing numbers (country code included), typed nationally:
    "040 772"."""
    from rekisteri.lib.normalize import normalize_phone

    phones = [row["phone"] for row in bench.rows if row["phone"]]
    numbers = [normalize_phone(phone) for phone in bench.rng.sample(phones, min(count, len(phones)))]
    return [f"0{number[4:6]} {number[6:9]}" for number in numbers]


def domain_prepare(bench: Bench, count: int) -> list[str]:
    domains = [row["email"].rpartition("@")[2].lower() for row in bench.rows]
    return ["@" + bench.rng.choice(domains) for _ in range(count)]


def contacts_backdate(bench: Bench) -> None:
    """Give seven in ten persons a last contact within three years, as a register in use has
    (the interactions themselves are not needed for the list: it reads the person's column)."""
    now = timezone.now()
    table = Person._meta.db_table
    connection = connections["default"]
    to_db = Person._meta.pk.get_db_prep_value
    moment = Person._meta.get_field("last_activity_at").get_db_prep_save
    rows = [
        (
            moment(now - timedelta(minutes=bench.rng.randrange(3 * 365 * 24 * 60)), connection),
            to_db(pid, connection),
        )
        for pid in bench.person_ids
        if bench.rng.random() < 0.7
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET last_activity_at = %s WHERE id = %s", rows)
    from benchmarks.scenarios import settle

    settle()


def org_name_prepare(bench: Bench, count: int) -> list[int]:
    """Organizations with persons: each list is one organization's persons (about 300 at
    100,000 persons), sorted by name."""
    contacts_backdate(bench)
    organizations = [org for org in {row["organization"] for row in bench.rows} if org]
    return [bench.rng.choice(organizations) for _ in range(count)]


def org_name_list(bench: Bench, organization_id: int) -> int:
    from rekisteri.people.filters import PersonFilters
    from rekisteri.people.selectors import person_list

    page = person_list(
        actor=bench.reader, filters=PersonFilters(organization_id=organization_id), sort="name", limit=25
    )
    return len(page.results)


def contact_prepare(bench: Bench, count: int) -> list[int]:
    """Pages 1-10 of the students, most recently contacted first."""
    return [bench.rng.randrange(10) * 25 for _ in range(count)]


def contact_list(bench: Bench, offset: int) -> int:
    from rekisteri.people.filters import PersonFilters
    from rekisteri.people.selectors import person_list

    page = person_list(
        actor=bench.reader,
        filters=PersonFilters(category="student"),
        sort="-last_contact",
        limit=25,
        offset=offset,
    )
    return len(page.results)


def bound_prepare(bench: Bench, count: int) -> list[int]:
    """Make the reader responsible for organizations holding just under SORT_LIMIT persons:
    the longest list that may be sorted by name."""
    from rekisteri.organizations.models import Organization

    sizes = Counter(row["organization"] for row in bench.rows if row["organization"])
    chosen, total = [], 0
    for organization, size in sizes.most_common()[::-1]:
        if total + size > SORT_LIMIT:
            break
        chosen.append(organization)
        total += size
    for organization in Organization.objects.filter(pk__in=chosen):
        organization.responsible_staff.add(bench.reader.user)
    return [bench.rng.randrange(max(1, total // 25)) * 25 for _ in range(count)]


def bound_list(bench: Bench, offset: int) -> int:
    from rekisteri.people.filters import PersonFilters
    from rekisteri.people.selectors import person_list

    page = person_list(
        actor=bench.reader,
        filters=PersonFilters(responsible_id=bench.reader.user.pk),
        sort="name",
        limit=25,
        offset=offset,
    )
    return page.total


def by_organization_prepare(bench: Bench, count: int) -> list[int]:
    return [bench.rng.randrange(20) * 25 for _ in range(count)]


def by_organization_list(bench: Bench, offset: int) -> int:
    from rekisteri.people.selectors import person_list

    return len(person_list(actor=bench.reader, sort="organization", limit=25, offset=offset).results)


def export_prepare(bench: Bench, count: int) -> list[int]:
    """Organizations to export (about 300 persons each at 100,000), by the privacy officer."""
    organizations = [org for org in {row["organization"] for row in bench.rows} if org]
    return [bench.rng.choice(organizations) for _ in range(count)]


def export(bench: Bench, organization_id: int) -> int:
    from rekisteri.people.export import person_export
    from rekisteri.people.filters import PersonFilters

    exported = person_export(
        actor=bench.officer,
        format="xlsx",
        purpose="customer_relationship",
        filters=PersonFilters(organization_id=organization_id),
        recipient_name="Benchmark Oy",
    )
    return exported.rows
