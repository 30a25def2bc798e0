"""Who sees and records grant payments.

The head (and admin) sees every instalment and alone records, corrects or undoes a payment,
never on their own grant (a head who went abroad: as everywhere, staff never act on their own
application);
a coordinator sees, read-only, the instalments of the applications of the faculties they
coordinate. Anyone else is refused the list (403, as every department list page); an
instalment out of the user's reach is a 404."""

import sqlalchemy as sa

from ..applications.policy import visible_filter
from ..models import Application


def _active(user):
    return user is not None and getattr(user, "is_authenticated", False) and bool(user.active)


def may_see_payments(user):
    return _active(user) and (user.has_role("head") or (user.has_role("coordinator") and user.coordinated_faculty_ids))


def may_record(user, application=None):
    """The head records payments, never on their own grant (`application`: an Application or
    a list row, anything with `applicant_id`; None asks about the role alone)."""
    if not (_active(user) and user.has_role("head")):
        return False
    return application is None or application.applicant_id != user.id


def payments_scope(user):
    """A WHERE clause on Application: whose instalments `user` sees."""
    if not may_see_payments(user):
        return sa.false()
    if user.has_role("head"):
        return visible_filter(user)
    return sa.and_(visible_filter(user), Application.faculty_id.in_(sorted(user.coordinated_faculty_ids)))
