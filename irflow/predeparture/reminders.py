"""Reminders of the checklist's items, queued by `flask send-reminders` (returns/reminders.py):
an item the participant provides, still to do, overdue or due within PREDEPARTURE_REMINDER_DAYS,
is reminded once per item and due date (the outbox's dedup key names both: a new departure
date gives a new due date, and so a new reminder)."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Application, CallPlace, Document, PredepartureItem, User
from ..services import mail
from .items import AFTER_ARRIVAL, CHECKLIST_STATES, lines_for


def department_today(now):
    return now.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def item_key(application, line):
    return f"predeparture:{application.id}:{line.kind.key}:{line.due.isoformat()}"


def due_items(today):
    """[(application, [lines to remind])] for the active participants with a checklist."""
    applications = (
        db.session.scalars(
            sa.select(Application)
            .join(User, Application.applicant_id == User.id)
            .where(Application.state.in_(sorted(CHECKLIST_STATES)), User.active.is_(True))
            .options(
                joinedload(Application.applicant), joinedload(Application.allocated_place).joinedload(CallPlace.partner)
            )
            .order_by(Application.id)
        )
        .unique()
        .all()
    )
    ids = [application.id for application in applications]
    records, documents = {}, {}
    if ids:
        for record in db.session.scalars(sa.select(PredepartureItem).where(PredepartureItem.application_id.in_(ids))):
            records.setdefault(record.application_id, []).append(record)
        for document in db.session.scalars(
            sa.select(Document).where(Document.application_id.in_(ids), Document.deleted_at.is_(None))
        ):
            documents.setdefault(document.application_id, []).append(document)
    horizon = today + timedelta(days=current_app.config["PREDEPARTURE_REMINDER_DAYS"])
    result = []
    for application in applications:
        lines = [
            line
            for line in lines_for(application, records.get(application.id, []), documents.get(application.id, []))
            if not line.settled
            and line.kind.provider == "participant"
            and line.due is not None
            and line.due <= horizon
            and (application.state == "abroad" or line.kind.key not in AFTER_ARRIVAL)
        ]
        if lines:
            result.append((application, lines))
    return result


def queue_checklist_reminders(today):
    """Queue the reminders; returns [(application id, item)] of those queued now."""
    queued_items = []
    for application, lines in due_items(today):
        for line in lines:
            queued = mail.queue_for_user(
                application.applicant,
                "emails/reminder_predeparture.txt",
                lambda application=application, line=line: _(
                    "Application %(number)s: %(item)s for your departure", number=application.id, item=line.kind.label
                ),
                application=application,
                dedup_key=item_key(application, line),
                line=line,
                overdue=line.due < today,
            )
            if queued is not None:
                queued_items.append((application.id, line.kind.key))
    return queued_items
