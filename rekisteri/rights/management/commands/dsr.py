"""`rekisteri dsr`: the register of data-subject requests from the command line (section 8).

Requests that came by letter, phone or e-mail are registered here; every other action
calls the same services as the UI and the API, so the state machine, the Art. 12(3)
deadline rules and the audit trail are the same. Reads are audited too.
"""

from __future__ import annotations

import json
from datetime import date
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation

from rekisteri.audit.actor import Actor
from rekisteri.rights.models import Channel, DataSubjectRequest, RefusalKind, RequestType, Verification
from rekisteri.rights.selectors import (
    MAX_PAGE_SIZE,
    is_overdue,
    request_as_dict,
    request_find,
    request_get,
    request_list,
    request_values,
)
from rekisteri.rights.services import (
    request_create,
    request_extend,
    request_refuse,
    request_verify,
)

ACTIONS = ["add", "list", "show", "verify", "extend", "fulfil", "refuse", "digest"]
METHODS = [value for value in Verification.values if value]
TOLD_VIA = [Channel.EMAIL.value, Channel.PHONE.value, Channel.LETTER.value]


def _actor() -> Actor:
    return Actor.system("cli:dsr", origin="cli")


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(f"{option} must be a date as YYYY-MM-DD, not {value!r}.") from None


def _refused(exc: ValidationError) -> CommandError:
    """A service's field errors as one readable line, e.g. 'extension: ... (Art. 12(3))'."""
    with translation.override("en"):
        if hasattr(exc, "error_dict"):
            parts = [
                f"{field}: {message}" if field != "__all__" else message
                for field, messages in exc.message_dict.items()
                for message in messages
            ]
        else:
            parts = list(exc.messages)
    return CommandError("; ".join(parts))


def _find(value: str) -> DataSubjectRequest:
    request = request_find(value)
    if request is None:
        raise CommandError(f"No request {value!r}: give its reference (PR-XXXXXX) or its id.")
    return request


def _person_id(value: str) -> UUID:
    from rekisteri.people.models import Person

    try:
        person_id = UUID(value.strip())
    except ValueError:
        raise CommandError(f"--person must be a person's id (a UUID), not {value!r}.") from None
    if not Person.objects.filter(pk=person_id).exists():
        raise CommandError(f"No person with id {person_id}.")
    return person_id


_RECTIFIABLE = ("first_name", "last_name", "email", "phone", "title", "self_given_info")


def _changes(assignments: list[str]) -> dict[str, str]:
    changes: dict[str, str] = {}
    for assignment in assignments:
        field, sep, value = assignment.partition("=")
        field = field.strip()
        if not sep or field not in _RECTIFIABLE:
            raise CommandError(f"--set takes FIELD=VALUE with FIELD one of {', '.join(_RECTIFIABLE)}.")
        changes[field] = value
    return changes


def _mail_line(mail: dict) -> str:
    """One mail about the request: what, when, and where it stands (with the server's reply)."""
    state = mail["state"]
    if state == "sent":
        where = f"sent {mail['sent_at']}"
    elif state == "failed":
        where = f"FAILED {mail['failed_at']}"
    elif state == "cancelled":
        where = "cancelled (the recipient was erased)"
    else:
        where = f"queued, next attempt {mail['next_attempt_at']}"
    if mail["attempts"] and state != "sent":
        reply = mail["smtp_reply"] or ""
        code = mail["smtp_reply_code"]
        where += f", {mail['attempts']} attempt(s), last reply {code or 'none'} {reply}".rstrip()
    return f"{mail['kind']} queued {mail['created_at']}: {where} [{mail['id']}]"


class Command(BaseCommand):
    help = (
        "Data-subject requests (section 8 of the privacy notice). `dsr add` registers a request "
        "that came by letter, phone or e-mail and prints its reference and due date; `list`, "
        "`show`, `verify`, `extend`, `fulfil` and `refuse` act on the register; `digest` queues the mail to "
        "the privacy officers what is due within 7 days and what is overdue. ID is a request's "
        "reference (PR-XXXXXX) or its id."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="{" + ",".join(ACTIONS) + "}", required=True)

        add = actions.add_parser("add", help="Register a request that came by letter, phone or e-mail.")
        add.add_argument("--type", required=True, choices=RequestType.values, help="The right exercised.")
        add.add_argument("--channel", required=True, choices=Channel.values, help="How the request came.")
        add.add_argument("--email", default="", help="The requester's address (needed for email/portal).")
        add.add_argument("--received", help="Day of receipt, YYYY-MM-DD (default today).")
        add.add_argument("--name", default="", help="The requester's name as given.")
        add.add_argument("--details", default="", help="What the requester asked, in their words.")
        add.add_argument("--verified-by", choices=METHODS, help="How the identity was checked, or 'failed'.")
        add.add_argument("--verification-note", default="", help="How exactly (with --verified-by).")
        add.add_argument("--language", choices=["fi", "en"], default="fi", help="Language of our mails.")
        add.add_argument("--person", help="The id of the person in the register it concerns, if known.")

        listing = actions.add_parser("list", help="List requests by due date (open ones by default).")
        which = listing.add_mutually_exclusive_group()
        which.add_argument("--open", action="store_true", help="Only open requests (the default).")
        which.add_argument("--all", action="store_true", help="Closed requests too.")
        listing.add_argument("--overdue", action="store_true", help="Only open requests past their due date.")

        show = actions.add_parser("show", help="Show one request with the requester's values.")
        show.add_argument("id", help="Reference (PR-XXXXXX) or id.")
        show.add_argument("--json", action="store_true", help="As JSON.")

        verify = actions.add_parser("verify", help="Record how the requester's identity was checked.")
        verify.add_argument("id", help="Reference (PR-XXXXXX) or id.")
        verify.add_argument("--method", required=True, choices=METHODS, help="How, or 'failed'.")
        verify.add_argument("--note", default="", help="Details of the check.")

        extend = actions.add_parser(
            "extend", help="Extend the deadline by 1-2 months (Art. 12(3)): reasons, told within a month."
        )
        extend.add_argument("id", help="Reference (PR-XXXXXX) or id.")
        extend.add_argument("--months", required=True, type=int, help="1 or 2 further months.")
        extend.add_argument("--reason", required=True, help="Why; the requester must have been told.")
        told = extend.add_mutually_exclusive_group(required=True)
        told.add_argument("--notified", help="When the requester was told, YYYY-MM-DD.")
        told.add_argument(
            "--mail",
            action="store_true",
            help="The register tells the requester now: the extension and its reasons are mailed.",
        )
        extend.add_argument(
            "--via", choices=TOLD_VIA, help="How the requester was told (default: how the request came)."
        )

        fulfil = actions.add_parser("fulfil", help="Carry out the right requested and close the request.")
        fulfil.add_argument("id", help="Reference (PR-XXXXXX) or id.")
        fulfil.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="Rectification: a corrected person field (first_name, last_name, email, phone, title, "
            "self_given_info); repeat for several.",
        )
        fulfil.add_argument(
            "--objection-to",
            action="append",
            metavar="PURPOSE",
            help="Objection: a purpose slug objected to; repeat for several (default: direct "
            "marketing and every legitimate-interest purpose).",
        )
        fulfil.add_argument("--dry-run", action="store_true", help="Say what would be done, do nothing.")

        refuse = actions.add_parser("refuse", help="Refuse with reasons, mailed with the complaint route.")
        refuse.add_argument("id", help="Reference (PR-XXXXXX) or id.")
        refuse.add_argument("--reason", required=True, help="The reasons the requester is told.")
        refuse.add_argument("--kind", choices=RefusalKind.values, default=RefusalKind.OTHER.value)

        digest = actions.add_parser("digest", help="Mail the privacy officers the due and overdue requests.")
        digest.add_argument(
            "--now",
            action="store_true",
            help="Make it now (its mail goes into the outbox) instead of enqueuing the task for the worker.",
        )

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action}")(options)
        except ValidationError as exc:
            raise _refused(exc) from None

    # --- actions -----------------------------------------------------------------------------

    def _add(self, options) -> None:
        method = options["verified_by"] or ""
        if options["verification_note"] and not method:
            raise CommandError("--verification-note goes with --verified-by METHOD.")
        person_id = None
        if options["person"]:
            person_id = _person_id(options["person"])
        request = request_create(
            actor=_actor(),
            type=options["type"],
            channel=options["channel"],
            email=options["email"].strip(),
            name=options["name"],
            details=options["details"],
            received_on=_date(options["received"], "--received"),
            language=options["language"],
            verification=method,
            verification_note=options["verification_note"],
            person_id=person_id,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Registered {request.reference} (id {request.pk}): {request.type} request by "
                f"{request.channel}, {request.status}."
            )
        )
        self.stdout.write(f"Due on {request.due_on.isoformat()}.")

    def _list(self, options) -> None:
        rows: list[DataSubjectRequest] = []
        total, offset = 0, 0
        while True:
            page = request_list(
                actor=_actor(),
                open_only=not options["all"],
                overdue=options["overdue"],
                limit=MAX_PAGE_SIZE,
                offset=offset,
            )
            rows.extend(page.results)
            total = page.total
            offset += len(page.results)
            if not page.results or offset >= total:
                break
        for request in rows:
            flag = "OVERDUE" if is_overdue(request) else ""
            assignee = request.assignee.get_username() if request.assignee_id else "-"
            self.stdout.write(
                f"{request.reference:<10} {request.type:<18} {request.channel:<7} {request.status:<22} "
                f"received {request.received_on.isoformat()}  due {request.due_on.isoformat()} "
                f"{flag:<7} {assignee}"
            )
        self.stdout.write(f"{len(rows)} request(s).")

    def _show(self, options) -> None:
        request = request_get(actor=_actor(), value=options["id"])
        if request is None:
            raise CommandError(f"No request {options['id']!r}: give its reference (PR-XXXXXX) or its id.")
        data = request_as_dict(request)
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        overdue = " (OVERDUE)" if data["overdue"] else ""
        if data["values_erased"]:
            requester = "- (erased with the person: the request's own values were destroyed)"
        else:
            requester = f"{data['requester_name'] or '-'} <{data['requester_email'] or '-'}>"
        verification = f"{data['verification'] or 'not verified'} {data['verification_note']}".rstrip()
        # The clock time only when the portal recorded it; staff enter the day alone.
        received = (
            timezone.localtime(request.received_at).strftime("%Y-%m-%d %H:%M")
            if request.received_at
            else data["received_on"]
        )
        lines = [
            f"{request.reference}  {request.get_type_display()}",
            f"id:            {request.pk}",
            f"status:        {request.status}",
            f"channel:       {request.channel}, received {received}, language {request.language}",
            f"due:           {data['due_on']}{overdue}",
            f"requester:     {requester}",
            f"person:        {data['person_id'] or '- (not identified in the register)'}",
            f"verification:  {verification}",
            f"assignee:      {data['assignee'] or '-'}",
        ]
        if request.extension_months:
            lines.append(
                f"extension:     {request.extension_months} month(s), told {data['extension_notified_on']} "
                f"via {request.extension_notified_via}: {data['extension_reason']}"
            )
        if request.fee_cents:
            lines.append(f"fee:           {request.fee_cents / 100:.2f} EUR: {data['fee_reason']}")
        if request.refusal_kind:
            lines.append(f"refusal:       {request.refusal_kind}")
        if data["decision"]:
            lines.append(f"decision:      {data['decision']}")
        if data["details"]:
            lines.append(f"details:       {data['details']}")
        for mail in data["mails"]:
            lines.append(f"mail:          {_mail_line(mail)}")
        self.stdout.write("\n".join(lines))

    def _verify(self, options) -> None:
        request = request_verify(
            actor=_actor(), request=_find(options["id"]), method=options["method"], note=options["note"]
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Recorded the verification of {request.reference} ({request.verification}); "
                f"status {request.status}."
            )
        )

    def _extend(self, options) -> None:
        request = _find(options["id"])
        if options["mail"]:
            if options["via"] not in (None, Channel.EMAIL.value):
                raise CommandError(
                    "--mail tells the requester by e-mail: leave out --via or give --via email."
                )
            via, notified_on = Channel.EMAIL.value, timezone.localdate()
        else:
            via = options["via"] or (request.channel if request.channel in TOLD_VIA else Channel.EMAIL.value)
            notified_on = _date(options["notified"], "--notified")
        request = request_extend(
            actor=_actor(),
            request=request,
            months=options["months"],
            reason=options["reason"],
            notified_on=notified_on,
            notified_via=via,
            mail_requester=options["mail"],
        )
        told = " The mail telling the requester is queued." if options["mail"] else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Extended {request.reference} by {request.extension_months} month(s) in all; "
                f"due on {request.due_on.isoformat()}.{told}"
            )
        )

    def _fulfil(self, options) -> None:
        request = _find(options["id"])
        extra = {}
        if options["set"]:
            extra["changes"] = _changes(options["set"])
        if options["objection_to"]:
            from rekisteri.privacy.models import Purpose

            unknown = sorted(
                set(options["objection_to"]) - set(Purpose.objects.values_list("slug", flat=True))
            )
            if unknown:
                raise CommandError(f"Unknown purpose(s): {', '.join(unknown)}.")
            extra["objection_to"] = options["objection_to"]
        if options["dry_run"]:
            person = f"person {request.person_id}" if request.person_id else "no identified person"
            self.stdout.write(
                f"Would fulfil {request.reference}: {request.type} request ({request.status}) concerning "
                f"{person}.\nDry run: nothing changed."
            )
            return
        from rekisteri.rights.fulfilment import request_fulfil

        # No transaction around this: an erasure must run outside one (privacy/erasure.py).
        request = request_fulfil(actor=_actor(), request=request, **extra)
        self.stdout.write(
            self.style.SUCCESS(f"{request.reference}: {request.type} request, status {request.status}.")
        )
        values = request_values(request)
        if values and values["decision"]:
            self.stdout.write(values["decision"])

    def _refuse(self, options) -> None:
        request = request_refuse(
            actor=_actor(), request=_find(options["id"]), kind=options["kind"], reason=options["reason"]
        )
        told = (
            "the mail with the reasons and the complaint route is queued for the requester "
            "(`rekisteri worker` sends it; `dsr show` tells when it went)"
            if request.requester_email
            else "send the reasons and the complaint route to the requester by letter"
        )
        message = f"Refused {request.reference} ({request.refusal_kind}); {told}."
        self.stdout.write(self.style.SUCCESS(message))

    def _digest(self, options) -> None:
        from rekisteri.rights.tasks import deadline_digest_send, send_deadline_digest

        if options["now"]:
            result = deadline_digest_send()
            if not result.overdue and not result.due_soon:
                self.stdout.write("Nothing due within 7 days and nothing overdue: no digest sent.")
            elif not result.recipients:
                raise CommandError(
                    f"{result.overdue} overdue and {result.due_soon} due soon, but no privacy officer has "
                    "an e-mail address: set REKISTERI_PRIVACY_OFFICER_EMAILS."
                )
            else:
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Digest queued for {result.recipients} address(es): {result.overdue} overdue, "
                        f"{result.due_soon} due within 7 days; `rekisteri worker` sends it."
                    )
                )
            return
        result = send_deadline_digest.enqueue()
        self.stdout.write(
            f"Enqueued the deadline digest as task {result.id} ({result.status}); "
            "`rekisteri worker` sends it."
        )
