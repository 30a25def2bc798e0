"""`flask --app wsgi expire-offers`: decline lapsed offers and promote the waiting list.

Meant for cron (for example hourly): it declines, as the system, every offer whose deadline
has passed; the engine then gives each freed place to the next waitlisted applicant who
chose that host. Idempotent, and each application is its own unit of work (committed here,
outside any request), so one failure does not undo the others. Exits with status 1 when
any failed.
"""

from dataclasses import dataclass, field

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..i18n import language_of
from ..models import Application
from ..models.base import utcnow
from ..workflow import WorkflowError, fire
from .offers import lapsed_offer_ids


@dataclass
class ExpiryReport:
    lapsed: list = field(default_factory=list)  # ids of the applications declined
    promoted: list = field(default_factory=list)  # ids of the waitlisted applications selected
    failed: list = field(default_factory=list)  # (id, message)


def _waitlisted_ids(call_id):
    return set(
        db.session.scalars(
            sa.select(Application.id).where(Application.call_id == call_id, Application.state == "waitlisted")
        )
    )


def expire_offers(now=None):
    """Decline every offer whose deadline passed before `now`, as the system. Idempotent:
    a declined application is no longer `selected`, and promoted ones get a new deadline."""
    now = now or utcnow()
    report = ExpiryReport()
    for application_id in lapsed_offer_ids(now):
        # Read afresh and lock: the applicant may have confirmed in the meantime.
        application = db.session.get(Application, application_id, populate_existing=True, with_for_update=True)
        if (
            application is None
            or application.state != "selected"
            or not (application.offer_deadline is not None and application.offer_deadline < now)
        ):
            db.session.rollback()
            continue
        waiting = _waitlisted_ids(application.call_id)
        with force_locale(language_of(application.applicant)):
            comment = _("The offer lapsed: the place was not confirmed by the deadline.")
        try:
            fire(application, "decline_place", None, comment=comment)
            db.session.commit()
        except (WorkflowError, SQLAlchemyError) as error:
            db.session.rollback()
            report.failed.append((application_id, str(error)))
            continue
        report.lapsed.append(application_id)
        if waiting:
            report.promoted.extend(
                db.session.scalars(
                    sa.select(Application.id)
                    .where(Application.id.in_(waiting), Application.state == "selected")
                    .order_by(Application.rank, Application.id)
                )
            )
    return report


@click.command("expire-offers")
@with_appcontext
def expire_offers_command():
    """Decline offers not confirmed by their deadline; freed places go to the waiting list."""
    report = expire_offers()
    click.echo(ngettext("%(num)d lapsed offer declined.", "%(num)d lapsed offers declined.", len(report.lapsed)))
    click.echo(
        ngettext(
            "%(num)d waitlisted applicant promoted.", "%(num)d waitlisted applicants promoted.", len(report.promoted)
        )
    )
    for application_id, message in report.failed:
        click.echo(
            _("Application %(number)s could not be declined: %(message)s", number=application_id, message=message),
            err=True,
        )
    if report.failed:
        raise SystemExit(1)
