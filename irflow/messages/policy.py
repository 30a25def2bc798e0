"""Who may write to a group of applicants, whom they reach, and who edits the texts of the
automatic notices. Routes and queries ask here; nothing else re-derives these rules.

A group message reaches the applications its sender reviews (the review queue's reach:
the head every submitted application, a coordinator those of their faculties), and of
those only people whose account is active.
"""

import sqlalchemy as sa

from ..models import GroupMessage, User
from ..review.queries import review_scope


def _active(user):
    return user is not None and getattr(user, "is_authenticated", False) and bool(user.active)


def may_send_group_messages(user):
    """The head (and admin), and coordinators of at least one faculty."""
    if not _active(user):
        return False
    return user.has_role("head") or (user.has_role("coordinator") and bool(user.coordinated_faculty_ids))


def may_edit_notices(user):
    """The texts every applicant receives are the department's: the head (and admin)."""
    return _active(user) and user.has_role("head")


def recipients_filter(user):
    """A WHERE clause over Application joined with its applicant: the applications `user`
    may write to."""
    if not may_send_group_messages(user):
        return sa.false()
    return sa.and_(review_scope(user), User.active.is_(True), User.anonymised_at.is_(None))


def sent_messages_filter(user):
    """The group messages `user` sees in the list: the head all, a coordinator their own."""
    if not may_send_group_messages(user):
        return sa.false()
    if user.has_role("head"):
        return sa.true()
    return GroupMessage.sender_id == user.id
