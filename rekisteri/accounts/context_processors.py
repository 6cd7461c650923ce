from django.conf import settings

from rekisteri.accounts.access import user_role


def staff(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "staff_role": user_role(user),
        # No mail server: mail goes to the local mailbox, shown as "Sent mail".
        "mail_is_local": settings.EMAIL_BACKEND == settings.MAIL_LOCAL_MAILBOX_BACKEND,
    }
