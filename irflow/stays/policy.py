"""Who may ask for and decide on changes during the stay, and which dates are acceptable.

The participant asks while the application is `abroad`, one open request at a time. The
head (and admin) and the coordinators of the application's faculty decide, never on their
own application; a request still open at the return may be decided until the report is
approved (an interruption counts for the grant and the Beneficiary Module export). They,
and the participant, see the requests; nobody else does.
"""

from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import StayChange
from ..models.stay_change import STAY_CHANGE_KINDS

STAY_STATE = "abroad"
DECISION_STATES = frozenset({STAY_STATE, "returned", "report_submitted"})


def _active(user):
    return user is not None and getattr(user, "is_authenticated", False) and bool(user.active)


def is_owner(user, application):
    return _active(user) and application.applicant_id == user.id


def _is_responsible_staff(user, application):
    if not _active(user):
        return False
    if user.has_role("head"):
        return True
    return (
        user.has_role("coordinator")
        and application.faculty_id is not None
        and application.faculty_id in user.coordinated_faculty_ids
    )


def has_stay_changes(application):
    """The page exists once the participant is abroad, and stays for the record afterwards."""
    return application.state == STAY_STATE or bool(application.actual_departure)


def may_view(user, application):
    return has_stay_changes(application) and (is_owner(user, application) or _is_responsible_staff(user, application))


def may_request(user, application):
    return application.state == STAY_STATE and is_owner(user, application)


def may_decide(user, application):
    """Staff of the faculty, not the participant: staff who went abroad themselves do not
    decide on their own stay."""
    return (
        application.state in DECISION_STATES
        and _is_responsible_staff(user, application)
        and not is_owner(user, application)
    )


def open_request(application):
    return db.session.scalar(
        db.select(StayChange).where(StayChange.application_id == application.id, StayChange.state == "requested")
    )


def stay_start(application):
    """The first day abroad: the departure recorded, else the planned start."""
    return application.actual_departure or application.planned_start


def _earliest_end_bound(application):
    """A new end must come after this day: the start of the stay, and the planned start,
    which the planned end stays after."""
    days = [day for day in (application.actual_departure, application.planned_start) if day is not None]
    return max(days) if days else None


def date_problems(application, kind, new_end=None, interruption_from=None, interruption_to=None):
    """{field name: message} for dates that do not fit the stay; empty when they all do."""
    problems = {}
    start = stay_start(application)
    end_bound = _earliest_end_bound(application)
    current_end = application.planned_end
    if kind not in STAY_CHANGE_KINDS:
        problems["kind"] = _l("Choose what you ask for.")
        return problems
    if kind in ("extension", "shortening"):
        if new_end is None:
            problems["new_end"] = _l("Enter the new end date.")
        elif end_bound is not None and new_end <= end_bound:
            problems["new_end"] = _l("The new end must be after the start of the stay.")
        elif current_end is not None and new_end == current_end:
            problems["new_end"] = _l("The new end is the same as the current one.")
        elif kind == "shortening" and current_end is not None and new_end > current_end:
            problems["new_end"] = _l("A shortening ends before the current end of the stay.")
        elif kind == "extension" and current_end is not None and new_end < current_end:
            problems["new_end"] = _l("An extension ends after the current end of the stay.")
        return problems
    if interruption_from is None:
        problems["interruption_from"] = _l("Enter the first day of the interruption.")
    elif start is not None and interruption_from < start:
        problems["interruption_from"] = _l("The interruption must start within the stay.")
    if interruption_to is None:
        problems["interruption_to"] = _l("Enter the last day of the interruption.")
    elif interruption_from is not None and interruption_to < interruption_from:
        problems["interruption_to"] = _l("The interruption cannot end before it starts.")
    elif current_end is not None and interruption_to > current_end:
        problems["interruption_to"] = _l("The interruption must end within the stay.")
    if not problems and _overlaps_approved_interruption(application, interruption_from, interruption_to):
        problems["interruption_from"] = _l("These days overlap an interruption already approved.")
    return problems


def _overlaps_approved_interruption(application, first_day, last_day):
    return (
        db.session.scalar(
            db.select(StayChange.id).where(
                StayChange.application_id == application.id,
                StayChange.kind == "interruption",
                StayChange.state == "approved",
                StayChange.interruption_from <= last_day,
                StayChange.interruption_to >= first_day,
            )
        )
        is not None
    )
