"""What a return report still lacks, and the report panel's content.

The workflow's guard for `submit_report` asks for the report filled in and the certificate
of attendance; a study mobility also needs the host's transcript of records (the credits are
recognised from it), so the checklist asks for it there and the Submit button is only
offered once every item is done.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import Document, TransitionLog
from . import policy

REPORT_DOCUMENT_KINDS = ("certificate_of_attendance", "transcript_of_records")


def transcript_required(application):
    return application.call.mobility_type == "study"


@dataclass
class ChecklistItem:
    key: str
    label: str
    done: bool
    required: bool = True


@dataclass
class ReportStatus:
    report: object  # the ReturnReport, or None
    items: list
    documents: dict  # kind -> [Document]
    return_comment: object = None  # the TransitionLog row of the last return_report, while returned
    may_view: bool = False
    editable: bool = False
    may_submit: bool = False
    stage: str | None = None  # policy.report_stage: what the panel tells about where it stands
    problems: list = field(default_factory=list)

    @property
    def complete(self):
        return all(item.done for item in self.items if item.required)


def report_documents(application):
    documents = db.session.scalars(
        sa.select(Document)
        .where(
            Document.application_id == application.id,
            Document.kind.in_(REPORT_DOCUMENT_KINDS),
            Document.deleted_at.is_(None),
        )
        .order_by(Document.uploaded_at, Document.id)
    ).all()
    by_kind = {kind: [] for kind in REPORT_DOCUMENT_KINDS}
    for document in documents:
        by_kind[document.kind].append(document)
    return by_kind


def _any_file(documents):
    # A document whose file is lost from the disk is not there for the checklist either.
    return any(document.file_present() for document in documents)


def checklist(application, report, documents):
    study = transcript_required(application)
    return [
        ChecklistItem(
            "report", _l("The report: what you did and the results"), report is not None and report.is_filled_in()
        ),
        ChecklistItem(
            "certificate_of_attendance",
            _l("Certificate of attendance, signed by the host"),
            _any_file(documents["certificate_of_attendance"]),
        ),
        ChecklistItem(
            "transcript_of_records",
            _l("Transcript of records from the host")
            if study
            else _l("Transcript of records from the host (if you have one)"),
            _any_file(documents["transcript_of_records"]),
            required=study,
        ),
    ]


def last_return_comment(application):
    """The coordinator's latest return of the report, while the participant reworks it."""
    if application.state != policy.EDITABLE_STATE:
        return None
    last = db.session.scalar(
        sa.select(TransitionLog)
        .where(
            TransitionLog.application_id == application.id,
            TransitionLog.trigger.in_(("submit_report", "return_report")),
        )
        .order_by(TransitionLog.id.desc())
        .limit(1)
    )
    return last if last is not None and last.trigger == "return_report" else None


def report_status(application, user):
    """The report panel's content for `user`, or None when there is none to show."""
    if not policy.may_view_report(user, application):
        return None
    documents = report_documents(application)
    status = ReportStatus(
        report=application.report,
        items=checklist(application, application.report, documents),
        documents=documents,
        return_comment=last_return_comment(application),
        may_view=True,
        editable=policy.may_edit_report(user, application),
        stage=policy.report_stage(application),
    )
    status.may_submit = policy.may_submit_report(user, application, status.complete)
    return status
