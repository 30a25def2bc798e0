"""The messages about changes during the stay, queued in the outbox in the request's own
transaction: the faculty's coordinators hear of a request, the participant of the decision."""

from flask_babel import gettext as _

from ..extensions import db
from ..models import User, UserRole, coordinator_faculties
from ..services import mail


def faculty_coordinators(application):
    """Active coordinators of the application's faculty, the participant left out."""
    if application.faculty_id is None:
        return []
    return db.session.scalars(
        db.select(User)
        .join(coordinator_faculties, coordinator_faculties.c.user_id == User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            coordinator_faculties.c.faculty_id == application.faculty_id,
            UserRole.role == "coordinator",
            User.active.is_(True),
            User.id != application.applicant_id,
        )
        .order_by(User.id)
    ).all()


def queue_request_notices(stay_change):
    application = stay_change.application
    for coordinator in faculty_coordinators(application):
        mail.queue_for_user(
            coordinator,
            "emails/stay_change_requested.txt",
            lambda: _("Application %(number)s: a change to the stay is asked for", number=application.id),
            application=application,
            stay_change=stay_change,
        )


def queue_decision_notice(stay_change):
    application = stay_change.application
    approved = stay_change.state == "approved"
    mail.queue_for_user(
        application.applicant,
        "emails/stay_change_decided.txt",
        lambda: (
            _("Application %(number)s: your request to change the stay is approved", number=application.id)
            if approved
            else _("Application %(number)s: your request to change the stay is refused", number=application.id)
        ),
        application=application,
        stay_change=stay_change,
    )
