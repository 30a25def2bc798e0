"""What applicants and staff do with an application outside the workflow's triggers (and
the triggers themselves as posted from the page): start, edit, upload and remove documents,
fire an action. Each takes validated data and the actor; nothing here commits (the request
does, once) and nothing here decides who may: the views ask the policy first.
"""

from collections import namedtuple
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from .. import events
from ..errors import Refused
from ..extensions import db
from ..models import Application, ApplicationChoice, Document, User
from ..models.base import DOCUMENT_KINDS, utcnow
from ..services import storage
from ..web import after_rollback
from ..workflow import fire
from . import policy
from .documents import replaces_previous, room_for_upload, upload_usage

# Triggers that record a date, and the name fire() expects it under.
DATE_TRIGGERS = {"depart": "departure_date", "return_home": "return_date"}


class ChangedMeanwhile(Refused):
    """The form was rendered from an older version of the application: nothing is saved."""

    def __init__(self):
        super().__init__(_("This record was changed by someone else. Nothing was saved; please check and try again."))


class UploadRefused(Refused):
    """An upload was refused; the message goes next to the file field. `storage_failed`:
    the server could not store the file (a full disk), which is not the user's doing."""

    def __init__(self, message, storage_failed=False):
        super().__init__(message)
        self.storage_failed = storage_failed


# how: "new" (made now), "existing" (the applicant had one already) or "double_click" (made
# meanwhile by the same applicant's other request).
Started = namedtuple("Started", "application how")


def _own_application_to(call, applicant):
    return db.session.scalar(
        db.select(Application).where(Application.call_id == call.id, Application.applicant_id == applicant.id)
    )


def _lock_account(applicant):
    """Hold `applicant`'s row (PostgreSQL) and read it afresh: the purge of personal data locks
    it too, so an account is never anonymised while an application of it is being started."""
    db.session.scalar(
        db.select(User).where(User.id == applicant.id).with_for_update().execution_options(populate_existing=True)
    )
    if not applicant.active:
        raise Refused(_("This account has been deactivated. Contact the department."))


def start_application(call, applicant):
    """A draft application of `applicant` to `call`, or the one they have already."""
    _lock_account(applicant)
    existing = _own_application_to(call, applicant)
    if existing is not None:
        return Started(existing, "existing")
    if not call.is_open():
        raise Refused(_("This call is not open for applications."))
    if not call.admits_category(applicant.category):
        raise Refused(_("This call is not open to your category."))
    try:
        # A SAVEPOINT: the unique constraint hit by a second click undoes this insert only,
        # and the request's transaction goes on (PostgreSQL would otherwise refuse the rest).
        with db.session.begin_nested():
            application = Application(call=call, applicant=applicant, faculty_id=applicant.faculty_id)
            db.session.add(application)
    except IntegrityError:
        existing = _own_application_to(call, applicant)
        if existing is None:
            raise
        return Started(existing, "double_click")
    return Started(application, "new")


def ensure_version(application, posted_version):
    """Refuse a change made from a page that showed an older version of `application`.
    A missing or garbled version matches none."""
    try:
        same = int(posted_version) == application.version
    except (TypeError, ValueError):
        same = False
    if not same:
        raise ChangedMeanwhile


def touch(application):
    """Documents and host choices are part of the application: a change to them moves its
    version, so a coordinator acting on what they saw is told when it changed meanwhile."""
    application.updated_at = utcnow()


def update_application(
    application, *, version, motivation, average_grade, language, cefr_level, planned_start, planned_end, place_ids
):
    """Save the applicant's details and ranked host choices (`place_ids`, first choice first)."""
    ensure_version(application, version)
    application.motivation = (motivation or "").strip() or None
    application.average_grade = average_grade.quantize(Decimal("0.01")) if average_grade is not None else None
    application.language = (language or "").strip() or None
    application.cefr_level = cefr_level or None
    application.planned_start = planned_start
    application.planned_end = planned_end
    # Touched so that the version moves even when only the host choices changed.
    touch(application)
    place_ids = list(place_ids)
    if [choice.call_place_id for choice in application.choices] != place_ids:
        # Old rows go first: re-ranking the same hosts would otherwise hit the
        # (application, place) unique constraint in the middle of the update.
        application.choices = []
        db.session.flush()
        application.choices = [
            ApplicationChoice(rank=rank, call_place_id=place_id) for rank, place_id in enumerate(place_ids, 1)
        ]
    # Written now: a version changed meanwhile is refused before success is reported.
    db.session.flush()


def _current_documents_of_kind(application, kind):
    return db.session.scalars(
        db.select(Document).where(
            Document.application_id == application.id, Document.kind == kind, Document.deleted_at.is_(None)
        )
    ).all()


def upload_document(application, uploader, kind, file):
    """Store `file` as a document of `kind`, replacing the current one where the application
    keeps a single file of that kind. The file is placed under its name once its row is
    flushed and removed again if the request's work is rolled back. Raises UploadRefused."""
    replaced = _current_documents_of_kind(application, kind) if replaces_previous(kind) else []
    if policy.replacement_refused(uploader, application, replaced):
        raise UploadRefused(
            _(
                "The office uploaded this document (%(kind)s): only the office may replace it.",
                kind=DOCUMENT_KINDS[kind],
            )
        )
    room = {}
    if uploader.id == application.applicant_id:  # the quota is the participant's, never the office's
        room_left = room_for_upload(upload_usage(application), replaced)
        if room_left.files_problem:
            raise UploadRefused(room_left.files_problem)
        room = {"room": room_left.free_bytes, "room_message": room_left.over_size_message}
    try:
        stored = storage.save_upload(file, **room)
    except storage.StorageError as error:
        raise UploadRefused(str(error), storage_failed=True) from error
    except storage.UploadError as error:
        raise UploadRefused(str(error)) from error
    after_rollback(lambda: storage.discard(stored))

    document = Document(
        application=application,
        kind=kind,
        original_name=stored.original_name,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by_id=uploader.id,
        uploaded_at=utcnow(),
    )
    db.session.add(document)
    # The old files stay: a replaced document is kept, for the office and the timeline.
    for old in replaced:
        old.remove(uploader, document.uploaded_at, replaced_by=document)
    touch(application)
    db.session.flush()
    try:
        storage.place(stored)  # under its real name only once its row exists
    except storage.StorageError as error:
        raise UploadRefused(str(error), storage_failed=True) from error
    return document


def remove_document(application, document, actor):
    """Removed, not deleted: kept with who and when (the file too), for the office and the timeline."""
    document.remove(actor, utcnow())
    touch(application)
    # Which document, never its name (a file name can carry personal data).
    events.record(
        "document_deleted",
        actor=actor,
        user=application.applicant_id,
        details={"application": application.id, "document": document.id, "kind": document.kind},
    )
    db.session.flush()  # a version changed meanwhile is refused before success is reported


def fire_action(application, trigger, actor, *, comment, version, date=None):
    """Fire `trigger` as posted from an action form; `date` goes where the trigger wants one.
    Raises WorkflowError (a Refused) when the workflow refuses."""
    data = {DATE_TRIGGERS[trigger]: date} if trigger in DATE_TRIGGERS else {}
    fire(application, trigger, actor, comment=comment, version=version, **data)
    db.session.flush()  # a version changed meanwhile is refused before success is reported
