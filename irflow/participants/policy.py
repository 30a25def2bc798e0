"""Who may see and change an application's participant data.

The participant, the head (and admin) and the coordinators of the application's faculty:
nobody else, not examiners nor coordinators of other faculties. The fewer-opportunities and
special-needs flags are sensitive: `may_see_sensitive` is asked wherever they might show.
"""

from ..models.states import HOLDING_STATES

# The participant stops changing it once the mobility is completed; staff may still correct it.
OWNER_EDITABLE_STATES = HOLDING_STATES - {"completed"}


def _active(user):
    return user is not None and getattr(user, "is_authenticated", False) and bool(user.active)


def _is_owner(user, application):
    return _active(user) and application.applicant_id == user.id


def _is_responsible_staff(user, application):
    """The head, or a coordinator of the application's faculty."""
    if not _active(user):
        return False
    if user.has_role("head"):
        return True
    return (
        user.has_role("coordinator")
        and application.faculty_id is not None
        and application.faculty_id in user.coordinated_faculty_ids
    )


def has_participant_data_page(application):
    """Once the applicant holds a place (selected and on)."""
    return application.state in HOLDING_STATES


def may_view_participant_data(user, application):
    return has_participant_data_page(application) and (
        _is_owner(user, application) or _is_responsible_staff(user, application)
    )


def may_edit_participant_data(user, application):
    if not has_participant_data_page(application):
        return False
    if _is_owner(user, application):
        return application.state in OWNER_EDITABLE_STATES
    return _is_responsible_staff(user, application)


def may_see_sensitive(user, application):
    """Fewer opportunities and special needs: the participant themself, the head and the
    coordinators of the application's faculty."""
    return _is_owner(user, application) or _is_responsible_staff(user, application)
