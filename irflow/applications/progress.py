"""Where the applicant stands: what a submission still lacks with where each thing is fixed,
and the one next step the top of the application page offers them."""

from collections import namedtuple
from datetime import timedelta

from flask import url_for
from flask_babel import gettext as _

from ..extensions import db
from ..models import TransitionLog
from ..models.base import utcnow
from ..workflow.guards import application_problems_by_field
from .policy import EDITABLE_STATES

# message: what is missing; url: where it is put right (None: nothing the applicant can do);
# document: whether an upload puts it right.
Problem = namedtuple("Problem", "message url document")
NextStep = namedtuple("NextStep", "label url")

# The request for changes moves the application's updated_at a moment after its log row is
# written; a change by the applicant comes later than this.
REQUEST_ITSELF = timedelta(seconds=2)


def problems_with_fixes(application):
    problems = []
    for field, message in application_problems_by_field(application):
        if field is None:
            url = None
        elif field.startswith("document:"):
            kind = field.removeprefix("document:")
            url = url_for("applications.detail", id=application.id, kind=kind, _anchor="upload")
        else:
            url = url_for("applications.edit", id=application.id, _anchor=field)
        problems.append(Problem(message, url, field is not None and field.startswith("document:")))
    return problems


def next_step(application, problems, change_request=None, call_open=True):
    """The owner's next step, or None while it is someone else's turn. `problems`: as
    problems_with_fixes; `change_request`: the coordinator's latest request, while open."""
    state = application.state
    if state in ("draft", "changes_requested"):
        if state == "draft" and not call_open:
            return None
        changed_since = change_request is None or application.updated_at > change_request.created_at + REQUEST_ITSELF
        if any(problem.url and not problem.document for problem in problems) or not changed_since:
            label = _("Make the changes") if change_request is not None else _("Fill in your details")
            return NextStep(label, url_for("applications.edit", id=application.id))
        if any(problem.document for problem in problems):
            return NextStep(_("Upload your documents"), "#upload")
        label = _("Check and resubmit") if state == "changes_requested" else _("Check and submit")
        return NextStep(label, url_for("applications.check", id=application.id))
    if state == "selected" and application.allocated_place_id is not None:
        deadline = application.offer_deadline
        if deadline is None or utcnow() <= deadline:
            return NextStep(_("Confirm the place"), "#offer")
    if state == "returned":
        return NextStep(_("Edit the report"), url_for("returns.report", id=application.id))
    return None


def latest_change_requests(applications):
    """{application id: the coordinator's latest request for changes} of those of
    `applications` whose changes are being made, in one statement."""
    ids = [application.id for application in applications if application.state == "changes_requested"]
    if not ids:
        return {}
    rows = db.session.scalars(
        db.select(TransitionLog)
        .where(TransitionLog.application_id.in_(ids), TransitionLog.trigger == "request_changes")
        .order_by(TransitionLog.id)
    )
    return {row.application_id: row for row in rows}  # the later request overwrites the earlier


def owners_next_step(application, change_request=None):
    """next_step for a page that does not show the problems itself (the list of applications):
    the same step the top of the application's page offers its owner."""
    problems = problems_with_fixes(application) if application.state in EDITABLE_STATES else []
    return next_step(application, problems, change_request, application.call.is_open())
