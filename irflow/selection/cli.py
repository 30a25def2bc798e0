"""`flask --app wsgi expire-offers`: decline lapsed offers and promote the waiting list.

Meant for cron (for example hourly): idempotent, and each application is committed on its
own so one failure does not undo the others. Exits with status 1 when any failed.
"""

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from .offers import expire_offers


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
