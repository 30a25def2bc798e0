"""`flask --app wsgi send-reminders` (meant for a daily cron): queue the reminders due
(reminders.py), committed here as one unit of work, outside any request."""

import click
from flask.cli import with_appcontext
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models.base import utcnow
from .reminders import department_today, queue_due_reminders


def send_reminders(now=None, today=None):
    """Queue every reminder due at `now` (`today`: the department's date) and commit once.
    Returns the ReminderRun. Idempotent."""
    now = now or utcnow()
    today = today or department_today(now)
    try:
        run = queue_due_reminders(now, today)
        db.session.commit()
    except IntegrityError:
        # Another run queued one of the same keys between our check and our commit: start
        # again, and the keys it holds are skipped this time.
        db.session.rollback()
        run = queue_due_reminders(now, today)
        db.session.commit()
    return run


@click.command("send-reminders")
@with_appcontext
def send_reminders_command():
    """Remind participants of overdue return reports and applicants of offers about to lapse."""
    run = send_reminders()
    click.echo(
        ngettext("%(num)d return report reminder queued.", "%(num)d return report reminders queued.", len(run.report))
    )
    click.echo(ngettext("%(num)d offer reminder queued.", "%(num)d offer reminders queued.", len(run.offer)))
    click.echo(
        ngettext("%(num)d checklist reminder queued.", "%(num)d checklist reminders queued.", len(run.checklist))
    )
    click.echo(
        ngettext(
            "%(num)d list of the office's checklist items queued.",
            "%(num)d lists of the office's checklist items queued.",
            len(run.office_checklist),
        )
    )
