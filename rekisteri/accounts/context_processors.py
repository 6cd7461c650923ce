from rekisteri.accounts.access import user_role


def staff(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"staff_role": user_role(user)}
