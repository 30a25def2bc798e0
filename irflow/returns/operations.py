"""The participant's return report, saved as one use case. Nothing here commits: the
request commits once when the view has succeeded.

Submitting, returning and approving the report are workflow triggers
(submit_report, return_report, approve_report), fired through the applications blueprint.
"""

from decimal import Decimal

from flask_babel import gettext as _

from ..errors import Refused
from ..extensions import db
from ..models import Recognition, ReturnReport
from ..models.base import utcnow
from ..workflow import STATE_LABELS
from . import policy


class ReportRefused(Refused):
    """The report cannot be saved: it is not (or no longer) the participant's to edit, or it
    was changed in another window since the form was opened."""


def stale_report_message():
    return _(
        "This report was changed by someone else (or in another window) after you opened it. "
        "Nothing was saved. What you typed is kept below: check it, then save again."
    )


def check_report_editable(application, author, posted_version):
    """Raise ReportRefused unless `author` may write the report now, against the version the
    form was rendered with."""
    if not policy.may_edit_report(author, application):
        # Usually submitted in another window after this form was opened.
        if application.state == "abroad":
            raise ReportRefused(_("The report can be written once your return has been recorded. Nothing was saved."))
        raise ReportRefused(
            _(
                "The report can no longer be changed: the application is now “%(state)s”. Nothing was saved.",
                state=STATE_LABELS[application.state],
            )
        )
    if not _same_version(posted_version, application.version):
        raise ReportRefused(stale_report_message())


def save_report(application, author, posted_version, activities, results, credits_recognised, recommendation):
    """Write the report (created on the first save) as `author`; see check_report_editable."""
    check_report_editable(application, author, posted_version)
    report = application.report
    if report is None:
        report = ReturnReport(application=application)
        db.session.add(report)
    report.activities = activities
    report.results = results
    # Once courses are recognised, the credits are theirs, not what the participant types.
    report.credits_recognised = recognised_ects(application) if application.recognitions else credits_recognised
    report.recommendation = recommendation
    # The report is part of the application: saving it moves the application's version,
    # so a coordinator acting on what they saw is told that it changed meanwhile.
    application.updated_at = utcnow()
    # Written now: another save that won the race is refused here, before success is reported.
    db.session.flush()
    return report


def recognised_ects(application):
    return sum((row.ects for row in application.recognitions), Decimal(0))


def save_recognition(application, decider, posted_version, rows):
    """Replace the course-by-course recognition with `rows` (dicts of Recognition's fields),
    decided now by `decider`; the report's credits recognised become their sum. A row saved
    again unchanged keeps who decided it and when."""
    if not policy.may_record_recognition(decider, application):
        raise ReportRefused(_("The recognition cannot be recorded now. Nothing was saved."))
    if not _same_version(posted_version, application.version):
        raise ReportRefused(
            _("This application was changed by someone else after you opened the recognition. Nothing was saved.")
        )
    decided_at = utcnow()
    earlier = {_recognition_key(row): (row.decided_at, row.decided_by) for row in application.recognitions}
    recognitions = []
    for position, row in enumerate(rows):
        row_decided_at, row_decider = earlier.pop(_recognition_key(row), (decided_at, decider))
        recognitions.append(Recognition(position=position, decided_at=row_decided_at, decided_by=row_decider, **row))
    application.recognitions = recognitions
    report = application.report
    if report is None:
        report = ReturnReport(application=application)
        db.session.add(report)
    # With no rows left, nothing is recognised yet: the credits wait for the recognition.
    report.credits_recognised = recognised_ects(application) if rows else None
    # Approving the report after seeing the recognition must see this one.
    application.updated_at = utcnow()
    db.session.flush()
    return application.recognitions


RECOGNITION_FIELDS = ("host_code", "host_title", "host_grade", "home_grade", "ects", "home_course")


def _recognition_key(row):
    """What a row decides, from a Recognition or a posted dict: equal keys, the same decision."""
    values = row if isinstance(row, dict) else {name: getattr(row, name) for name in RECOGNITION_FIELDS}
    return tuple(
        Decimal(values.get(name)) if name == "ects" and values.get(name) is not None else values.get(name) or None
        for name in RECOGNITION_FIELDS
    )


def _same_version(posted, current):
    try:
        return int(posted) == current
    except (TypeError, ValueError):
        return False
