"""Background work of campaigns, run by `rekisteri worker`."""

from __future__ import annotations

from django_tasks import task

from rekisteri.marketing.sending import campaign_run, campaigns_due


@task()
def send_campaign(campaign_id: int) -> dict:
    """Send or resume one campaign; a second worker finding it claimed does nothing."""
    report = campaign_run(campaign_id)
    return {
        "queued": report.queued,
        "sent": report.sent,
        "failed": report.failed,
        "finished": report.finished,
    }


def campaigns_dispatch() -> int:
    """Each worker round: start scheduled campaigns that are due and resume those whose
    worker died (their claim ran out); returns how many were handed to the queue.

    A campaign whose task is already queued is claimed by whichever task runs first; the
    other finds it claimed and does nothing.
    """
    from rekisteri.marketing.services.lists import signups_expire
    from rekisteri.marketing.services.preferences import preference_links_expire

    # Addresses of sign-ups never confirmed and of used or expired preference links go with
    # their own keys once the links are past their lifetime.
    signups_expire()
    preference_links_expire()
    ids = campaigns_due()
    for campaign_id in ids:
        send_campaign.enqueue(campaign_id)
    return len(ids)
