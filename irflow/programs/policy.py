"""Who may see and change programs: everyone sees the published ones, the head (and admin)
manages them all."""

from ..models import Program


def may_manage(user):
    return bool(getattr(user, "is_authenticated", False)) and user.has_role("head")


def may_view(user, program):
    return program.published or may_manage(user)


def public_filter():
    """The programs on the public list: the published ones, whoever looks."""
    return Program.published.is_(True)
