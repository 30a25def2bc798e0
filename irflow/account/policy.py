"""What a user may change on their own account.

Faculty and category say who an application is from: the coordinators who see it (the
faculty) and the calls it may go to and the statistics it counts in (the category). Once
an application of the user has left the draft state they stay as they are; the office can
still correct them (the admin's user page). Drafts follow a change: nobody has seen them."""

import sqlalchemy as sa

from ..extensions import db
from ..models import Application


def _authenticated(user):
    return bool(getattr(user, "is_authenticated", False))


def pins_faculty_and_category(state):
    """Does an application in `state` keep its applicant's faculty and category as they are?"""
    return state != "draft"


def pinning_filter():
    """The applications that keep their applicant's faculty and category, as a query condition."""
    return Application.state != "draft"


def may_change_faculty_and_category(user):
    if not _authenticated(user):
        return False
    pinned = db.session.scalar(
        sa.select(Application.id).where(Application.applicant_id == user.id, pinning_filter()).limit(1)
    )
    return pinned is None


def may_use_account_pages(user):
    """Every logged-in, active user has an account page; it shows and changes only their own."""
    return _authenticated(user) and user.active
