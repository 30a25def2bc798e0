"""Who sees and changes the pre-departure checklist.

The participant sees their checklist and marks done the items they provide; the head and the
coordinators of the application's faculty see all and change any item, and alone say an item
is not needed. Nobody else sees it (a 404, as for the application).
"""

import sqlalchemy as sa

from ..models import Application
from .items import CHECKLIST_STATES, ITEM_KINDS


def _active(user):
    return user is not None and getattr(user, "is_authenticated", False) and bool(user.active)


def is_owner(user, application):
    return _active(user) and application.applicant_id == user.id


def is_staff(user, application):
    if not _active(user):
        return False
    if user.has_role("head"):
        return True
    return (
        user.has_role("coordinator")
        and application.faculty_id is not None
        and application.faculty_id in user.coordinated_faculty_ids
        and application.applicant_id != user.id
    )


def has_checklist(application):
    return application.state in CHECKLIST_STATES


def may_view(user, application):
    return has_checklist(application) and (is_owner(user, application) or is_staff(user, application))


def may_mark_done(user, application, key):
    if not has_checklist(application):
        return False
    if is_staff(user, application):
        return True
    return is_owner(user, application) and ITEM_KINDS[key].provider == "participant"


def may_settle_otherwise(user, application):
    """Not needed, or back to to do: the coordinator's."""
    return has_checklist(application) and is_staff(user, application)


def may_see_overview(user):
    return _active(user) and (user.has_role("head") or (user.has_role("coordinator") and user.coordinated_faculty_ids))


def overview_filter(user):
    if user.has_role("head"):
        return Application.state.in_(sorted(CHECKLIST_STATES))
    return sa.and_(
        Application.state.in_(sorted(CHECKLIST_STATES)),
        Application.faculty_id.in_(sorted(user.coordinated_faculty_ids)),
    )
