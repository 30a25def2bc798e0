"""Who may change partners and agreements: everyone sees the partners and their
agreements' validity on the public page; only the head (and admin) manages them, and sees
an agreement's signed copy (the manage pages)."""


def may_manage(user):
    return bool(getattr(user, "is_authenticated", False)) and user.has_role("head")
