"""Who may see and act on a return report, and on the nominations page that follows the
participants from their confirmed place to the approved report.

Routes, queries and templates (through what the views pass) ask here; nothing else
re-derives these rules. tests/test_returns_policy.py holds the whole matrix.
"""

import sqlalchemy as sa

from ..applications.policy import may_upload
from ..models import Application
from ..review.queries import review_scope
from ..workflow import TRANSITIONS_BY_TRIGGER
from ..workflow.permissions import actor_may

# States in which a report is written, reviewed or kept; the page exists from departure on
# (to tell the participant what will be asked of them).
REPORT_STATES = ("abroad", "returned", "report_submitted", "completed")
EDITABLE_STATE = "returned"
# Actions a reviewer takes from the report page (the rest stay on the application page).
REPORT_REVIEW_TRIGGERS = ("return_report", "approve_report")
# The sections of the nominations page, in the order of the workflow.
NOMINATION_SECTIONS = ("confirmed", "nominated", "host_accepted", "abroad", "returned", "report_submitted")

SUBMIT_REPORT = TRANSITIONS_BY_TRIGGER["submit_report"]
RETURN_REPORT = TRANSITIONS_BY_TRIGGER["return_report"]
APPROVE_REPORT = TRANSITIONS_BY_TRIGGER["approve_report"]
NOMINATE = TRANSITIONS_BY_TRIGGER["nominate"]


def _active(user):
    return user is not None and getattr(user, "is_authenticated", False) and user.active


def _is_owner(user, application):
    return _active(user) and application.applicant_id == user.id


def _may_fire(transition, user, application):
    return _active(user) and application.state in transition.sources and actor_may(transition, application, user)


# --- the return report -------------------------------------------------------------------


def has_report_page(application):
    """From departure on; after that only a cancelled application may still hold a report
    (no other way leads out of those states), so other states cost no query."""
    if application.state in REPORT_STATES:
        return True
    return application.state == "cancelled" and application.report is not None


def may_read_reports_of(user, application):
    """The owner, the head (and admin) and a coordinator of the application's faculty;
    examiners see the application's scores, never its report."""
    if not _active(user):
        return False
    if application.applicant_id == user.id or user.has_role("head"):
        return True
    return (
        user.has_role("coordinator")
        and application.faculty_id is not None
        and application.faculty_id in user.coordinated_faculty_ids
    )


def may_view_report(user, application):
    """The report page and panel: for those who may read it, once there is one to show."""
    return has_report_page(application) and may_read_reports_of(user, application)


def may_edit_report(user, application):
    """Only the participant writes the report, and only while `returned` (again after a return)."""
    return _is_owner(user, application) and application.state == EDITABLE_STATE


def may_submit_report(user, application, complete):
    """The participant submits a report whose checklist is `complete`."""
    return bool(complete) and _may_fire(SUBMIT_REPORT, user, application)


def may_return_report(user, application):
    return _may_fire(RETURN_REPORT, user, application)


def may_approve_report(user, application):
    return _may_fire(APPROVE_REPORT, user, application)


def review_actions(user, application):
    """The transitions of the report page's decision box, in the order of REPORT_REVIEW_TRIGGERS."""
    allowed = {"return_report": may_return_report, "approve_report": may_approve_report}
    return [
        TRANSITIONS_BY_TRIGGER[trigger] for trigger in REPORT_REVIEW_TRIGGERS if allowed[trigger](user, application)
    ]


def may_upload_evidence(user, application):
    """The participant is pointed to the application page for the certificate and the
    transcript while they may upload them there (abroad or returned)."""
    return _is_owner(user, application) and may_upload(user, application, "certificate_of_attendance")


def report_stage(application):
    """What the report page tells about where the report stands: "abroad" (not yet), "due"
    (back, with its due date), "submitted" (under review), "completed", or None."""
    if application.state == "abroad":
        return "abroad"
    if application.state == EDITABLE_STATE and application.actual_return is not None:
        return "due"
    if application.state == "report_submitted":
        return "submitted"
    if application.state == "completed":
        return "completed"
    return None


# --- recognition on return ------------------------------------------------------------
# Recorded from the host's transcript while the report is under review or back with the
# participant; kept read-only once the mobility is completed.
RECOGNITION_EDIT_STATES = ("returned", "report_submitted")


def has_recognition_page(application):
    """A study mobility, from the return on."""
    return application.call.mobility_type == "study" and has_report_page(application) and application.state != "abroad"


def may_see_recognition(user, application):
    """Those who may read the report: the participant, their faculty's coordinators, the head."""
    return has_recognition_page(application) and may_read_reports_of(user, application)


def may_record_recognition(user, application):
    """A coordinator of the application's faculty (not the participant themself), or the head."""
    if application.state not in RECOGNITION_EDIT_STATES or not may_see_recognition(user, application):
        return False
    if application.applicant_id == user.id:
        return False
    return user.has_role("head") or (
        user.has_role("coordinator") and application.faculty_id in user.coordinated_faculty_ids
    )


# --- the nominations page ----------------------------------------------------------------


def may_see_nominations(user):
    """Coordinators follow their faculties' participants, the head (and admin) everyone's."""
    return _active(user) and (user.has_role("coordinator") or user.has_role("head"))


def nominations_filter(user):
    """A WHERE clause: the applications `user` sees on the nominations page (the review
    queue's reach, in the page's states)."""
    if not may_see_nominations(user):
        return sa.false()
    return sa.and_(review_scope(user), Application.state.in_(NOMINATION_SECTIONS))


def may_nominate(user, application):
    """A coordinator of the faculty, for a confirmed participant other than themselves; a
    head who is not a coordinator sees the lists and nominates nobody."""
    return _may_fire(NOMINATE, user, application)
