"""Reminders of the checklist's items, queued by `flask send-reminders` (returns/reminders.py):
an item the participant provides, still to do, overdue or due within PREDEPARTURE_REMINDER_DAYS,
is reminded once per item and due date (the outbox's dedup key names both: a new departure
date gives a new due date, and so a new reminder).

The items the office provides go to the coordinators of the application's faculty instead (to
the heads when the faculty has no active coordinator), in one mail per coordinator listing all
their open office items overdue or due soon. A coordinator gets a new list when it changes (an
item comes due or falls overdue, is settled, or its due date moves), and an unchanged list
again once a week while it stays open: the dedup key is a digest of the listed items, due dates
and overdue marks, and of the ISO week, so a daily run does not repeat a list day after day."""

import hashlib
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Application, CallPlace, Document, PredepartureItem, User, UserRole, coordinator_faculties
from ..services import mail
from .items import AFTER_ARRIVAL, CHECKLIST_STATES, lines_for


def department_today(now):
    return now.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def item_key(application, line):
    return f"predeparture:{application.id}:{line.kind.key}:{line.due.isoformat()}"


def due_items(today, provider="participant"):
    """[(application, [lines to remind])] for the active participants with a checklist: the
    open items `provider` provides."""
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
            and line.kind.provider == provider
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


def coordinators_by_faculty(faculty_ids):
    """{faculty id: [active coordinators]} in one statement."""
    if not faculty_ids:
        return {}
    rows = db.session.execute(
        sa.select(coordinator_faculties.c.faculty_id, User)
        .join(User, coordinator_faculties.c.user_id == User.id)
        .join(UserRole, sa.and_(UserRole.user_id == User.id, UserRole.role == "coordinator"))
        .where(coordinator_faculties.c.faculty_id.in_(sorted(faculty_ids)), User.active.is_(True))
        .order_by(User.id)
    ).all()
    result = {}
    for faculty_id, user in rows:
        result.setdefault(faculty_id, []).append(user)
    return result


def active_heads():
    return db.session.scalars(
        sa.select(User)
        .join(UserRole, sa.and_(UserRole.user_id == User.id, UserRole.role == "head"))
        .where(User.active.is_(True))
        .order_by(User.id)
    ).all()


def office_lists(today):
    """{coordinator id: (coordinator, [(application, line)] by due date)}: the open office items
    of their faculties' participants (never their own application). The items of a faculty
    without an active coordinator go to the heads, so that nothing is left unreminded."""
    due = due_items(today, provider="office")
    coordinators = coordinators_by_faculty({application.faculty_id for application, _ in due} - {None})
    uncovered = any(not coordinators.get(application.faculty_id) for application, _ in due)
    heads = active_heads() if uncovered else []
    lists = {}
    for application, lines in due:
        for coordinator in coordinators.get(application.faculty_id) or heads:
            if coordinator.id != application.applicant_id:
                items = lists.setdefault(coordinator.id, (coordinator, []))[1]
                items.extend((application, line) for line in lines)
    for _coordinator, items in lists.values():
        items.sort(key=lambda item: (item[1].due, item[0].id))
    return lists


def office_key(coordinator, items, today):
    year, week, _weekday = today.isocalendar()
    listed = "\n".join(
        sorted(
            f"{item_key(application, line)}:{'overdue' if line.due < today else 'soon'}" for application, line in items
        )
    )
    digest = hashlib.sha256(f"{year}-W{week}\n{listed}".encode()).hexdigest()[:32]
    return f"predeparture-office:{coordinator.id}:{digest}"


def queue_office_reminders(today):
    """Queue the coordinators' lists; returns the ids of the coordinators mailed now."""
    mailed = []
    for coordinator, items in office_lists(today).values():
        queued = mail.queue_for_user(
            coordinator,
            "emails/reminder_predeparture_office.txt",
            lambda items=items: ngettext(
                "%(num)d pre-departure item for the office to provide",
                "%(num)d pre-departure items for the office to provide",
                len(items),
            ),
            dedup_key=office_key(coordinator, items, today),
            items=items,
            today=today,
        )
        if queued is not None:
            mailed.append(coordinator.id)
    return mailed
