"""Who sees a participant's grant: the participant, the coordinators of the application's
faculty and the head (applications/policy.py's may_view), once a place is confirmed.
It shows the fewer-opportunities top-up, which is sensitive: examiners never see it.

Before departure and until the grant agreement is issued, the participant chooses green
travel or not, and the office (the faculty's coordinator or the head) sets the travel days."""

from ..agreements.policy import AGREEMENT_STATES, BEFORE_DEPARTURE
from ..applications.policy import is_owner, may_view


def may_see_grant(user, application):
    return (
        application.state in AGREEMENT_STATES
        and application.allocated_place_id is not None
        and may_view(user, application)
    )


def is_office(user, application):
    """A coordinator of the application's faculty (not the participant themself), or the head."""
    if not may_view(user, application) or application.applicant_id == user.id:
        return False
    return user.has_role("head") or (
        user.has_role("coordinator") and application.faculty_id in user.coordinated_faculty_ids
    )


def _open_for_travel(user, application, agreement):
    return (
        may_see_grant(user, application)
        and application.state in BEFORE_DEPARTURE
        and (agreement is None or not agreement.issued)
    )


def may_choose_travel(user, application, agreement):
    """Green travel or not: the participant's choice."""
    return _open_for_travel(user, application, agreement) and is_owner(user, application)


def may_set_travel_days(user, application, agreement):
    return _open_for_travel(user, application, agreement) and is_office(user, application)
