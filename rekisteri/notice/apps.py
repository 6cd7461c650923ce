from django.apps import AppConfig


class NoticeConfig(AppConfig):
    name = "rekisteri.notice"
    label = "notice"

    def ready(self) -> None:
        from rekisteri.notice.selectors import (
            purpose_not_yet_in_notice,
            recipient_not_yet_in_notice,
            retention_rules_announced,
        )
        from rekisteri.notice.services import draft_refresh
        from rekisteri.notice.sources import authority
        from rekisteri.privacy.notice_gate import (
            configuration_change_hook_install,
            purpose_gate_install,
            recipient_gate_install,
        )
        from rekisteri.retention.notice_gate import announced_rules_install
        from rekisteri.rights.authority import authority_resolver_install

        # Lower apps learn from the notice through hooks: which purposes may be used, and
        # the supervisory authority refusals and access packages name.
        purpose_gate_install(purpose_not_yet_in_notice)
        recipient_gate_install(recipient_not_yet_in_notice)
        # The sweep applies a retention rule from the effective date of the version announcing it.
        announced_rules_install(retention_rules_announced)
        # A purpose, recipient, group company or retention rule changed: the draft follows,
        # in the change's own transaction (issue 14: a change that alters the notice drafts it).
        configuration_change_hook_install(draft_refresh)
        authority_resolver_install(authority)
        # The worker (rights) informs everyone owed the Art. 14 information once a day.
        from rekisteri.notice.informing import information_enqueue_if_due
        from rekisteri.rights.tasks import daily_job_install

        daily_job_install("Art. 14 information", information_enqueue_if_due)
        from rekisteri.contacts.services import first_communication_hook_install
        from rekisteri.notice.first_communication import before_person_mail, on_interaction
        from rekisteri.outbox.services import before_person_mail_install

        # Art. 14(3)(b): at the latest at the first communication, a mail to the person or a
        # logged contact, the information goes (or the staff member is told it is owed).
        before_person_mail_install(before_person_mail)
        first_communication_hook_install(on_interaction)
