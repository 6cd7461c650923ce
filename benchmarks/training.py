"""The benchmark's operations for the student register (issue 12, section 6): the training
report of one customer organization with 2,000 participants, as CSV and as PDF, each logged
per person as a disclosure.

Plain functions on a `scenarios.Bench`, listed in scenarios.OPERATIONS.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction

if TYPE_CHECKING:
    from benchmarks.scenarios import Bench

PARTICIPANTS = 2_000
_state: dict[str, int] = {}


def _organization_with_participants(bench: Bench) -> int:
    """One organization whose people took part in 20 course instances, 2,000 enrollments in
    all, each graded (encrypted grade and completion date). Written once, below the services
    (fixtures, not timed), with the same encryption as the services use."""
    if "organization" in _state and _state.get("bench") == id(bench):
        return _state["organization"]
    from rekisteri.organizations.models import Organization
    from rekisteri.privacy.models import GroupCompany
    from rekisteri.training.models import Course, CourseInstance, Enrollment, Result

    organization = Organization.objects.create(
        name="Koulutusasiakas Oy", owner_company=GroupCompany.objects.get(is_controller=True)
    )
    course = Course.objects.create(
        code=f"BENCH-{organization.pk}",
        name_fi="Työturvallisuuskorttikoulutus",
        name_en="Occupational safety card",
        company=organization.owner_company,
    )
    instances = [
        CourseInstance.objects.create(
            course=course, starts_on=date(2026, 1, 1 + n), ends_on=date(2026, 1, 1 + n)
        )
        for n in range(20)
    ]
    # Half the unused persons at most: a small smoke run leaves the erasures theirs.
    free = len(bench.person_ids) - len(bench.used)
    person_ids = bench.sample_persons(min(PARTICIPANTS, free // 2))
    with transaction.atomic():
        enrollments = Enrollment.objects.bulk_create(
            [
                Enrollment(
                    person_id=person_id,
                    instance=instances[number % len(instances)],
                    organization=organization,
                    status="completed",
                )
                for number, person_id in enumerate(person_ids)
            ],
            batch_size=1000,
        )
        Result.objects.bulk_create(
            [
                Result(
                    enrollment=enrollment,
                    person_id=enrollment.person_id,
                    grade="pass",
                    completed_on=enrollment.instance.ends_on.isoformat(),
                    passed=True,
                )
                for enrollment in enrollments
            ],
            batch_size=1000,
        )
    _state.update(organization=organization.pk, bench=id(bench))
    return organization.pk


def report_prepare(bench: Bench, count: int) -> list[int]:
    return [_organization_with_participants(bench)] * count


def _report(bench: Bench, organization_id: int, format: str) -> int:
    from rekisteri.organizations.models import Organization
    from rekisteri.training.reports import training_report

    report = training_report(
        actor=bench.officer, organization=Organization.objects.get(pk=organization_id), format=format
    )
    return report.rows


def report_csv(bench: Bench, organization_id: int) -> int:
    return _report(bench, organization_id, "csv")


def report_pdf(bench: Bench, organization_id: int) -> int:
    return _report(bench, organization_id, "pdf")
