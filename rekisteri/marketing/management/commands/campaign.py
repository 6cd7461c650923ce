"""`rekisteri campaign`: campaigns from the command line (list, show, send).

`send ID` starts the send in the background (the worker does it); with `--wait` this
process sends it itself, holding the same claim a worker would (so no worker sends it at the
same time), prints progress and returns when it is done. Audited as `cli:campaign`.
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rekisteri.audit.actor import Actor
from rekisteri.errors import english
from rekisteri.marketing.models import Campaign
from rekisteri.marketing.selectors import campaign_stats

ACTIONS = ["list", "show", "send"]


def _actor() -> Actor:
    return Actor.system("cli:campaign", origin="cli")


def _campaign(value: str) -> Campaign:
    if not value.isdigit() or len(value) > 18:
        raise CommandError(f"{value!r} is not a campaign id (a number, as `rekisteri campaign list` shows).")
    campaign = Campaign.objects.filter(pk=int(value)).select_related("topic").first()
    if campaign is None:
        raise CommandError(f"No campaign {value}.")
    return campaign


class Command(BaseCommand):
    help = (
        "Campaigns: `list` the newest with their status, `show ID` one with its audience and "
        "delivery counts, `send ID [--wait]` send it (in the background, or here and now with --wait)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="{" + ",".join(ACTIONS) + "}", required=True)
        listing = actions.add_parser("list", help="The newest campaigns and their status.")
        listing.add_argument("--limit", type=int, default=50, help="At most this many (1-1000).")
        show = actions.add_parser("show", help="One campaign: status, audience at send, deliveries, reads.")
        show.add_argument("id")
        show.add_argument("--json", action="store_true", help="As JSON.")
        send = actions.add_parser("send", help="Send a draft or scheduled campaign, or resume a paused one.")
        send.add_argument("id")
        send.add_argument("--wait", action="store_true", help="Send it in this process and return when done.")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action}")(options)
        except ValidationError as exc:
            raise CommandError(english(exc, "; ")) from None

    def _list(self, options) -> None:
        if not 1 <= options["limit"] <= 1000:
            raise CommandError("--limit must be between 1 and 1000.")
        campaigns = Campaign.objects.select_related("topic").order_by("-created_at")[: options["limit"]]
        for campaign in campaigns:
            stats = campaign_stats(campaign)["deliveries"]
            self.stdout.write(
                f"{campaign.pk:>6}  {campaign.created_at:%Y-%m-%d %H:%M}  {campaign.status:<9}  "
                f"{campaign.topic.slug:<20}  sent {stats['sent']}, failed {stats['failed']}  "
                f"{campaign.subject}"
            )
        self.stdout.write(f"{len(campaigns)} campaign(s).")

    def _show(self, options) -> None:
        campaign = _campaign(options["id"])
        stats = campaign_stats(campaign)
        data = {
            "id": campaign.pk,
            "list": campaign.topic.slug,
            "subject": campaign.subject,
            "basis": campaign.basis,
            "status": campaign.status,
            "started_at": campaign.started_at.isoformat() if campaign.started_at else None,
            "finished_at": campaign.finished_at.isoformat() if campaign.finished_at else None,
            "audience_at_send": campaign.audience_counts or None,
            **stats,
        }
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        for key, value in data.items():
            self.stdout.write(
                f"{key}: {json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value}"
            )

    def _send(self, options) -> None:
        from rekisteri.marketing.sending import campaign_run
        from rekisteri.marketing.services.campaigns import CampaignStateError, campaign_resume, campaign_send

        campaign = _campaign(options["id"])
        try:
            if campaign.status == Campaign.Status.PAUSED:
                campaign_resume(actor=_actor(), campaign=campaign, enqueue=not options["wait"])
            elif campaign.status != Campaign.Status.SENDING:
                campaign_send(actor=_actor(), campaign=campaign, enqueue=not options["wait"])
        except CampaignStateError as exc:
            raise CommandError(english(exc, "; ")) from None
        if not options["wait"]:
            self.stdout.write(
                f"Campaign {campaign.pk} is being sent by the worker "
                f"(`rekisteri campaign show {campaign.pk}`)."
            )
            return

        def progress(report) -> None:
            self.stdout.write(f"queued {report.queued}, sent {report.sent}, failed {report.failed}")

        report = campaign_run(campaign.pk, progress=progress)
        if not report.claimed:
            raise CommandError(
                f"Campaign {campaign.pk} is being sent by a worker right now; see `campaign show`."
            )
        self.stdout.write(
            f"Campaign {campaign.pk}: {report.queued} queued, {report.sent} sent, {report.failed} failed"
            f"{'; done.' if report.finished else '; not finished (paused, cancelled or retrying).'}"
        )
        if not report.finished:
            raise CommandError("The send did not finish.")
