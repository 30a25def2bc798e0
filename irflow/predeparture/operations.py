"""Changing an item of the pre-departure checklist. Nothing here commits: the request commits
once the view has succeeded."""

from flask_babel import format_date
from flask_babel import gettext as _

from ..errors import Refused
from ..extensions import db
from ..models import Document, PredepartureItem
from ..models.base import utcnow
from . import policy
from .items import ITEM_KINDS, lines_for
from .notices import keep_change

REASON_MAX = 2000


def stale_message():
    return _(
        "This item was changed by someone else (or in another window) after you opened the page. "
        "Nothing was saved: check the item, then try again."
    )


def current_documents(application):
    return db.session.scalars(
        db.select(Document)
        .where(Document.application_id == application.id, Document.deleted_at.is_(None))
        .order_by(Document.uploaded_at, Document.id)
    ).all()


def records_of(application):
    return db.session.scalars(
        db.select(PredepartureItem).where(PredepartureItem.application_id == application.id)
    ).all()


def checklist(application):
    return lines_for(application, records_of(application), current_documents(application))


def done_problems(application, key, fields):
    """{field name: message} for what keeps `key` from being done with `fields`."""
    problems = {}
    kind = ITEM_KINDS[key]
    if not any(document.kind == kind.document_kind for document in current_documents(application)):
        problems["document"] = _("Upload the document first (%(kind)s).", kind=kind.label)
    if key == "visa" and fields.get("visa_decision") != "granted":
        problems["visa_decision"] = _("The visa is done once it is granted.")
    if key == "insurance":
        covered_from, covered_to = fields.get("covered_from"), fields.get("covered_to")
        if covered_from is None:
            problems["covered_from"] = _("Enter the first day the policy covers.")
        if covered_to is None:
            problems["covered_to"] = _("Enter the last day the policy covers.")
        start = application.actual_departure or application.planned_start
        end = application.planned_end
        if covered_from is not None and start is not None and covered_from > start:
            problems["covered_from"] = _(
                "The policy must cover the stay from its first day, %(date)s.", date=format_date(start)
            )
        if covered_to is not None and end is not None and covered_to < end:
            problems["covered_to"] = _(
                "The policy must cover the stay to its last day, %(date)s.", date=format_date(end)
            )
    return problems


def _record(application, key, version):
    record = db.session.scalar(
        db.select(PredepartureItem).where(
            PredepartureItem.application_id == application.id, PredepartureItem.item == key
        )
    )
    expected = record.version if record is not None else None
    if str(version or "") != str(expected or ""):
        raise Refused(stale_message())
    if record is None:
        record = PredepartureItem(application=application, item=key, state="todo")
        db.session.add(record)
    return record


def _changed(application, record, user):
    record.updated_by = user
    record.updated_at = utcnow()
    keep_change(application, record, user)
    return record


def mark_done(application, user, key, version, **fields):
    if not policy.may_mark_done(user, application, key):
        raise Refused(_("You cannot change this item."))
    problems = done_problems(application, key, fields)
    if problems:
        raise Refused(next(iter(problems.values())), problems.values())
    record = _record(application, key, version)
    record.state = "done"
    record.reason = None
    if key == "visa":
        record.visa_appointment = fields.get("visa_appointment")
        record.visa_decision = fields.get("visa_decision")
    if key == "insurance":
        record.covered_from = fields.get("covered_from")
        record.covered_to = fields.get("covered_to")
    return _changed(application, record, user)


def mark_not_needed(application, user, key, version, reason):
    if not policy.may_settle_otherwise(user, application):
        raise Refused(_("Only the coordinator decides that an item is not needed."))
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("Say why the item is not needed."))
    record = _record(application, key, version)
    record.state = "not_needed"
    record.reason = reason[:REASON_MAX]
    return _changed(application, record, user)


def reopen(application, user, key, version):
    if not policy.may_settle_otherwise(user, application):
        raise Refused(_("Only the coordinator reopens an item."))
    record = _record(application, key, version)
    record.state = "todo"
    record.reason = None
    return _changed(application, record, user)
