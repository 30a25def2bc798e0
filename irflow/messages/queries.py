"""The groups a message can be written to, as queries, and the list of messages sent.

Every group is narrowed by policy.recipients_filter: a sender reaches only the applications
they review, and only people whose account is active."""

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, joinedload, lazyload

from ..extensions import db
from ..models import Application, CallPlace, GroupMessage, User
from ..models.group_message import MESSAGE_GROUPS
from ..models.states import HOLDING_STATES
from ..returns.reminders import overdue_reports
from ..review.queries import call_choices_query, review_scope
from .policy import recipients_filter, sent_messages_filter

GROUP_LABELS = {
    "selected": _l("Everyone selected in a call"),
    "waitlisted": _l("The waiting list of a call"),
    "abroad": _l("Participants abroad"),
    "overdue_reports": _l("Participants whose return report is overdue"),
    "applications": _l("The chosen applications"),
}
if set(GROUP_LABELS) != set(MESSAGE_GROUPS):  # pragma: no cover
    raise RuntimeError("every message group needs a label")

# These groups are a call's; the others may be narrowed to one.
CALL_GROUPS = ("selected", "waitlisted")
# Far beyond a real choice; keeps a forged form from asking for thousands of rows.
MAX_APPLICATIONS = 1000


def _group_condition(group, call_id, application_ids, today):
    if group == "applications":
        return Application.id.in_(sorted(application_ids))
    if group == "selected":
        # Selected in the sense of the place: whoever holds one, from the offer to the report.
        condition = Application.state.in_(sorted(HOLDING_STATES))
    elif group == "waitlisted":
        condition = Application.state == "waitlisted"
    elif group == "abroad":
        condition = Application.state == "abroad"
    elif group == "overdue_reports":
        # The reminders' own rule of what is overdue, so the two never disagree.
        overdue = overdue_reports(today, current_app.config["REPORT_DUE_DAYS"])
        condition = Application.id.in_([application.id for application in overdue])
    else:
        raise ValueError(f"unknown group {group!r}")
    if call_id is not None:
        condition = sa.and_(condition, Application.call_id == call_id)
    return condition


def group_applications(user, group, call_id=None, application_ids=(), today=None):
    """The applications of `group` that `user` may write to, ordered by the applicant's name."""
    return (
        db.session.scalars(
            sa.select(Application)
            .join(User, Application.applicant_id == User.id)
            .where(recipients_filter(user), _group_condition(group, call_id, application_ids, today))
            .options(
                contains_eager(Application.applicant).options(
                    lazyload(User.role_rows), lazyload(User.coordinated_faculties)
                ),
                joinedload(Application.call),
                joinedload(Application.allocated_place).joinedload(CallPlace.partner),
            )
            .order_by(sa.func.lower(User.full_name_latin), User.id, Application.id)
        )
        .unique()
        .all()
    )


def one_per_person(applications):
    """One application per applicant (their first in `applications`): one message each."""
    seen, chosen = set(), []
    for application in applications:
        if application.applicant_id not in seen:
            seen.add(application.applicant_id)
            chosen.append(application)
    return chosen


def unknown_application_ids(user, application_ids):
    """The ids among `application_ids` that are not applications `user` reviews."""
    if not application_ids:
        return set()
    found = db.session.scalars(
        sa.select(Application.id).where(Application.id.in_(sorted(application_ids)), review_scope(user))
    ).all()
    return set(application_ids) - set(found)


def call_choices(user):
    """(id, title, academic year) of the calls with applications `user` reviews, newest first."""
    return db.session.execute(call_choices_query(user)).all()


def sent_messages_query(user):
    """The group messages `user` sees, newest first."""
    return (
        sa.select(GroupMessage)
        .where(sent_messages_filter(user))
        .options(joinedload(GroupMessage.sender), joinedload(GroupMessage.call))
        .order_by(GroupMessage.created_at.desc(), GroupMessage.id.desc())
    )
