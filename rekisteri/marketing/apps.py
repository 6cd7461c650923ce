from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "rekisteri.marketing"
    label = "marketing"

    def ready(self):
        from rekisteri.marketing.tasks import campaigns_dispatch
        from rekisteri.rights.tasks import worker_round_hook_install

        # Scheduled campaigns start and a killed worker's sends resume in the worker's rounds.
        worker_round_hook_install(campaigns_dispatch)
        from rekisteri.marketing.mailbox import unsubscribe_mailboxes_poll

        # Mails to List-Unsubscribe's mailto address, when a maildir or IMAP folder is set.
        worker_round_hook_install(unsubscribe_mailboxes_poll)
        from rekisteri.contacts.services import tracking_consent_check_install
        from rekisteri.marketing.selectors import tracking_consented

        # contacts records a newsletter open or click of a person only with this consent.
        tracking_consent_check_install(tracking_consented)
        from rekisteri.marketing.services.consents import consents_withdraw_for_request
        from rekisteri.rights.fulfilment.actions import consent_withdrawal_hook_install

        # A withdrawal of consent answered by the privacy officer (section 8) ends these too.
        consent_withdrawal_hook_install(consents_withdraw_for_request)
