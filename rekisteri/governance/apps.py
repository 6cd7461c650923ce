from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Section 11's organisational measures: written staff instructions and their
    acknowledgements, access reviews, the risk register."""

    name = "rekisteri.governance"
    label = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        from rekisteri.accounts.access import instructions_check_install
        from rekisteri.governance.selectors import instructions_pending

        # The personal-data gate (accounts) asks this app whether the current instructions
        # are acknowledged; accounts sits below and cannot import it.
        instructions_check_install(instructions_pending)
        # The worker (rights) checks once a day whether the quarterly access review is due.
        from rekisteri.governance.tasks import reminder_enqueue_if_due
        from rekisteri.rights.tasks import daily_job_install

        daily_job_install("access review reminder", reminder_enqueue_if_due)
