"""Reminders, queued in the outbox by `flask --app wsgi send-reminders` (meant for a daily cron).

(a) A participant back for more than REPORT_DUE_DAYS days whose report is not submitted
    (state `returned`) is reminded once per return: the key names the return date.
(b) An applicant holding an offer (state `selected`) whose deadline falls within
    OFFER_REMINDER_DAYS and has not passed is reminded once per deadline: a promotion from
    the waiting list gives a new deadline, and so a new reminder.
(c) A pre-departure checklist item overdue or due soon, once per item and due date; the
    office's items to the faculty's coordinators, one list each, mailed again only when it
    changes (irflow/predeparture/reminders.py).

Idempotent: each message carries a `dedup_key`, and the outbox refuses a key it holds
already, so a second run queues nothing new. The command (cli.py) commits once at the end.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..i18n import force_timezone, format_moment
from ..models import Application, CallPlace, User
from ..predeparture.reminders import queue_checklist_reminders, queue_office_reminders
from ..services import mail
from ..workflow.next_steps import report_due_date
from .checklist import transcript_required


@dataclass
class ReminderRun:
    report: list = field(default_factory=list)  # ids of the applications reminded of their report
    offer: list = field(default_factory=list)  # ids of the applications reminded of their offer
    checklist: list = field(default_factory=list)  # (application id, item) of the checklist items reminded
    office_checklist: list = field(default_factory=list)  # ids of the coordinators sent their office items


def report_key(application):
    return f"report-overdue:{application.id}:{application.actual_return.isoformat()}"


def offer_key(application):
    return f"offer-deadline:{application.id}:{application.offer_deadline.isoformat()}"


def department_today(now):
    """Today where the department is: return dates are calendar dates there."""
    return now.astimezone(_zone(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def _zone(name):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def overdue_reports(today, due_days):
    """Returned participants whose return was more than `due_days` days before `today`."""
    return (
        db.session.scalars(
            sa.select(Application)
            .join(User, Application.applicant_id == User.id)
            .where(
                Application.state == "returned",
                Application.actual_return.is_not(None),
                Application.actual_return < today - timedelta(days=due_days),
                User.active.is_(True),
            )
            .options(joinedload(Application.allocated_place).joinedload(CallPlace.partner))
            .order_by(Application.id)
        )
        .unique()
        .all()
    )


def closing_offers(now, reminder_days):
    """Offers open now whose deadline is at most `reminder_days` days away."""
    return (
        db.session.scalars(
            sa.select(Application)
            .join(User, Application.applicant_id == User.id)
            .where(
                Application.state == "selected",
                Application.offer_deadline > now,
                Application.offer_deadline <= now + timedelta(days=reminder_days),
                User.active.is_(True),
            )
            .options(joinedload(Application.allocated_place).joinedload(CallPlace.partner))
            .order_by(Application.offer_deadline, Application.id)
        )
        .unique()
        .all()
    )


def _in_zone_of(user):
    """A formatter for the e-mail: an aware time in the recipient's zone and language (the
    template is rendered with the recipient's locale forced)."""
    zone = _zone(user.timezone)

    def format_local(value):
        with force_timezone(zone.key):
            return format_moment(value)

    return format_local


def queue_due_reminders(now, today):
    run = ReminderRun()
    config = current_app.config
    for application in overdue_reports(today, config["REPORT_DUE_DAYS"]):
        queued = mail.queue_for_user(
            application.applicant,
            "emails/reminder_report.txt",
            lambda application=application: _(
                "Application %(number)s: your return report is overdue", number=application.id
            ),
            application=application,
            dedup_key=report_key(application),
            due_date=report_due_date(application),
            transcript_required=transcript_required(application),
        )
        if queued is not None:
            run.report.append(application.id)
    for application in closing_offers(now, config["OFFER_REMINDER_DAYS"]):
        queued = mail.queue_for_user(
            application.applicant,
            "emails/reminder_offer.txt",
            lambda application=application: _(
                "Application %(number)s: confirm or decline your place", number=application.id
            ),
            application=application,
            dedup_key=offer_key(application),
            format_local=_in_zone_of(application.applicant),
        )
        if queued is not None:
            run.offer.append(application.id)
    run.checklist = queue_checklist_reminders(today)
    run.office_checklist = queue_office_reminders(today)
    return run
