"""`rekisteri retention`: the retention rules and the sweep (section 7) from the shell.

    rekisteri retention rules [--json]
    rekisteri retention sweep [--dry-run] [--as-of YYYY-MM-DD] [--json]

The sweep lists what has expired by person id, rule and anchor day (never a personal value)
and, without --dry-run, erases it through the erasure primitive and keeps a deletion report.
"""

from __future__ import annotations

import json
import sys
from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from rekisteri.audit.actor import Actor
from rekisteri.errors import english
from rekisteri.retention.selectors import rules_active, rules_effective
from rekisteri.retention.services import retention_sweep


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(f"--as-of must be a date as YYYY-MM-DD, not {value!r}.") from None


class Command(BaseCommand):
    help = "Retention rules (section 7) and the sweep that erases what has outlived them."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{rules,sweep}")
        rules = sub.add_parser("rules", help="List the active rules with their legal reasons.")
        rules.add_argument("--json", action="store_true", help="As JSON.")
        sweep = sub.add_parser(
            "sweep",
            help="Erase what has expired (ids, rules, anchor days are listed; no personal values).",
        )
        sweep.add_argument("--dry-run", action="store_true", help="Only list what would be erased.")
        sweep.add_argument("--as-of", help="Evaluate the rules as of this day (a future day: dry run only).")
        sweep.add_argument("--json", action="store_true", help="The listing and the counts as JSON.")

    def handle(self, *args, action: str, **options):
        if action == "rules":
            return self._rules(options["json"])
        return self._sweep(options)

    def _rules(self, as_json: bool) -> None:
        # Section 12: what the sweep applies today (None: a new rule the notice does not state yet).
        applied = {rule.code: rule.period for rule in rules_effective(timezone.localdate())}
        rows = [
            {
                "code": rule.code,
                "purpose": rule.purpose.slug if rule.purpose_id else None,
                "category": rule.category,
                "period": rule.period,
                "applied_period": applied.get(rule.code),
                "anchor": rule.anchor,
                "statutory": rule.statutory,
                "auto_confirm": rule.auto_confirm,
                "legal_reason": rule.legal_reason_en,
            }
            for rule in rules_active()
        ]
        if as_json:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            self.stdout.write(
                f"{row['code']:<24} {row['category']:<24} {row['period']:<6} from {row['anchor']}"
                f"{'' if row['auto_confirm'] else ' (confirmed by the privacy officer)'}"
                f"{_pending(row)}\n"
                f"    {row['legal_reason']}"
            )

    def _sweep(self, options) -> None:
        as_of = _date(options["as_of"]) if options["as_of"] else None
        dry_run = options["dry_run"]
        as_json = options["json"]
        progress = None
        if not as_json and sys.stderr.isatty():

            def progress(what: str, done: int) -> None:
                self.stderr.write(f"\r{done} {what} expired so far", ending="")

        try:
            result = retention_sweep(
                actor=Actor.system("cli:retention", origin="cli"),
                as_of=as_of,
                dry_run=dry_run,
                progress=progress,
            )
        except ValidationError as exc:
            raise CommandError(english(exc, "; ")) from None
        if progress is not None:
            self.stderr.write("")
        data = result.as_dict()
        if as_json:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        verb = "would erase" if dry_run else "erased"
        for item in data["expired"]:
            held = f" held by {item['held_by']}" if item.get("held_by") else ""
            self.stdout.write(
                f"{item['person_id']}  {item['rule']:<22} anchor {item['anchor_on']}  "
                f"expired {item['expired_on']}  {item['outcome']}{held}"
            )
        counts = data["counts"]
        by_rule = ", ".join(f"{rule} {n}" for rule, n in counts["by_rule"].items()) or "none"
        self.stdout.write(
            f"As of {data['as_of']}: {verb} {counts['erase']} person(s) ({by_rule}); "
            f"{counts['held']} held; {counts['awaiting_confirmation']} awaiting confirmation; "
            f"request records {verb}: {counts['requests']}."
            + (f" Report {data['run_id']}." if data["run_id"] else "")
        )


def _pending(row: dict) -> str:
    if row["applied_period"] == row["period"]:
        return ""
    if row["applied_period"] is None:
        return " (not applied until a notice version announcing it takes effect)"
    return f" (applied as {row['applied_period']} until a notice version announcing the change takes effect)"
