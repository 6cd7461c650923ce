from django.contrib.auth.forms import AuthenticationForm


class StaffLoginForm(AuthenticationForm):
    """Django's login form; axes counts its failures per (account, client address)."""
