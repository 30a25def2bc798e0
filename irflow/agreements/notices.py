"""The messages about the agreements, queued in the outbox in the request's own transaction:
the faculty's coordinators hear that a learning agreement, a mobility agreement or a change
to the learning agreement waits for their approval; the participant hears of the decision."""

from flask_babel import gettext as _

from ..services import mail
from ..stays.notices import faculty_coordinators
from ..web.links import mailed_url

# What is decided on: the page it is decided on.
PAGES = {
    "learning": "agreements.detail",
    "change": "agreements.detail",
    "mobility": "agreements.staff_detail",
}


def _submitted_subject(kind, number):
    if kind == "learning":
        return _("Application %(number)s: a learning agreement waits for your approval", number=number)
    if kind == "mobility":
        return _("Application %(number)s: a mobility agreement waits for your approval", number=number)
    return _("Application %(number)s: a change to the learning agreement waits for your approval", number=number)


def _decided_subject(kind, number, approved):
    if kind == "learning":
        if approved:
            return _("Application %(number)s: your learning agreement is approved", number=number)
        return _("Application %(number)s: your learning agreement is returned for changes", number=number)
    if kind == "mobility":
        if approved:
            return _("Application %(number)s: your mobility agreement is approved", number=number)
        return _("Application %(number)s: your mobility agreement is returned for changes", number=number)
    if approved:
        return _("Application %(number)s: the change to your learning agreement is approved", number=number)
    return _("Application %(number)s: the change to your learning agreement is returned for changes", number=number)


def queue_submitted(application, kind):
    """`kind`: learning, mobility or change."""
    link = mailed_url(PAGES[kind], id=application.id)
    for coordinator in faculty_coordinators(application):
        mail.queue_for_user(
            coordinator,
            "emails/agreement_submitted.txt",
            lambda: _submitted_subject(kind, application.id),
            application=application,
            kind=kind,
            link=link,
        )


def queue_decided(application, kind, record):
    approved = record.state == "approved"
    mail.queue_for_user(
        application.applicant,
        "emails/agreement_decided.txt",
        lambda: _decided_subject(kind, application.id, approved),
        application=application,
        kind=kind,
        approved=approved,
        comment=record.comment,
        link=mailed_url(PAGES[kind], id=application.id),
    )
