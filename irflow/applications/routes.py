"""The applicant's side of an application, and the page staff act on it from.

Every view that takes an application id starts with `application_or_404`: a foreign
or unknown id is a 404, never somebody else's data.
"""

from decimal import Decimal

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from ..bad_input import page_number
from ..countries import country_name
from ..extensions import db
from ..models import Application, ApplicationChoice, Call, Document, Notification, TransitionLog
from ..models.base import DOCUMENT_KINDS, utcnow
from ..services import storage
from ..web.forms import EmptyForm
from ..workflow import STATE_LABELS, TRANSITIONS_BY_TRIGGER, WorkflowError, available_actions
from ..workflow import fire as fire_trigger
from ..workflow.guards import application_problems
from . import bp
from .access import application_or_404
from .documents import (
    EDITABLE_STATES,
    may_delete,
    missing_required_kinds,
    replacement_refused,
    replaces_previous,
    room_for_upload,
    upload_usage,
    uploadable_kinds,
)
from .forms import ActionForm, ApplicationForm, UploadForm
from .timeline import timeline

MESSAGES_PAGE_SIZE = 50
# Triggers that record a date, and the name fire() expects it under.
DATE_TRIGGERS = {"depart": "departure_date", "return_home": "return_date"}


@bp.context_processor
def helpers():
    return {"country_name": country_name, "format_decimal": format_decimal}


@bp.route("/")
@login_required
def index():
    applications = db.session.scalars(
        db.select(Application)
        .where(Application.applicant_id == current_user.id)
        .options(db.joinedload(Application.call).joinedload(Call.program))
        .order_by(Application.created_at.desc(), Application.id.desc())
    ).all()
    return render_template("applications/index.html", applications=applications)


@bp.route("/messages")
@login_required
def messages():
    page = db.paginate(
        db.select(Notification)
        .where(Notification.recipient_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        page=page_number(),
        per_page=MESSAGES_PAGE_SIZE,
        error_out=False,
    )
    return render_template("applications/messages.html", page=page)


@bp.route("/new/<int:call_id>", methods=["POST"])
@login_required
def start(call_id):
    call = db.get_or_404(Call, call_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    existing = _own_application_to(call)
    if existing is not None:
        flash(_("You already have an application to this call."), "info")
        return redirect(url_for("applications.detail", id=existing.id))
    if not call.is_open():
        flash(_("This call is not open for applications."), "danger")
        return redirect(url_for("calls.index"))
    if not call.admits_category(current_user.category):
        flash(_("This call is not open to your category."), "danger")
        return redirect(url_for("calls.index"))
    application = Application(call=call, applicant=current_user, faculty_id=current_user.faculty_id)
    db.session.add(application)
    try:
        db.session.commit()
    except IntegrityError:
        # The same user pressed the button twice at once: the other request made the draft.
        db.session.rollback()
        existing = _own_application_to(call)
        if existing is None:
            raise
        return redirect(url_for("applications.detail", id=existing.id))
    flash(_("Your draft application is ready. Fill in the details and upload the documents."), "success")
    return redirect(url_for("applications.edit", id=application.id))


def _own_application_to(call):
    return db.session.scalar(
        db.select(Application).where(Application.call_id == call.id, Application.applicant_id == current_user.id)
    )


@bp.route("/<int:id>")
@login_required
def detail(id):
    application = application_or_404(id, current_user)
    return _render_detail(application)


def _render_detail(application, upload_form=None, status=200):
    viewer = current_user._get_current_object()
    is_owner = application.applicant_id == viewer.id
    kinds = uploadable_kinds(application, viewer)
    if upload_form is None and kinds:
        upload_form = UploadForm(kinds, formdata=None)
    all_documents = db.session.scalars(
        db.select(Document)
        .where(Document.application_id == application.id)
        .options(db.joinedload(Document.uploaded_by), db.joinedload(Document.deleted_by))
        .order_by(Document.uploaded_at, Document.id)
    ).all()
    documents = [document for document in all_documents if document.is_current]
    missing_files = {document.id for document in documents if not document.file_present()}
    for document_id in sorted(missing_files):
        current_app.logger.warning(
            "document %s of application %s: file missing from the upload folder", document_id, application.id
        )
    transitions = db.session.scalars(
        db.select(TransitionLog)
        .where(TransitionLog.application_id == application.id)
        .options(db.joinedload(TransitionLog.actor))
        .order_by(TransitionLog.id)
    ).all()
    notices = db.select(Notification).where(Notification.application_id == application.id)
    if is_owner:
        notices = notices.where(Notification.recipient_id == viewer.id)
    notices = db.session.scalars(notices.order_by(Notification.created_at.desc(), Notification.id.desc())).all()
    problems = application_problems(application) if is_owner and application.state in EDITABLE_STATES else []
    return render_template(
        "applications/detail.html",
        application=application,
        is_owner=is_owner,
        editable=is_owner and application.state in EDITABLE_STATES,
        call_open=application.call.is_open(),
        documents=documents,
        missing_files=missing_files,
        # Staff keep access to what was removed or replaced; the participant sees the history only.
        removed_documents=[] if is_owner else [document for document in all_documents if not document.is_current],
        deletable={document.id for document in documents if may_delete(application, viewer, document)},
        missing_kinds=missing_required_kinds(application),
        upload_form=upload_form if kinds else None,
        usage=upload_usage(application) if kinds else None,
        problems=problems,
        has_transitions=bool(transitions),
        timeline=timeline(transitions, all_documents),
        notices=notices,
        actions=available_actions(application, viewer),
        date_triggers=DATE_TRIGGERS,
    ), status


@bp.route("/<int:id>/edit", methods=["GET", "POST"])
@login_required
def edit(id):
    application = application_or_404(id, current_user)
    if application.applicant_id != current_user.id:
        abort(404)
    if application.state not in EDITABLE_STATES:
        flash(
            _("This application can no longer be edited: it is “%(state)s”.", state=STATE_LABELS[application.state]),
            "warning",
        )
        return redirect(url_for("applications.detail", id=application.id))
    call = application.call
    form = ApplicationForm(call, formdata=request.form if request.method == "POST" else None)

    def page(conflict=False):
        return render_template(
            "applications/edit.html",
            application=application,
            form=form,
            conflict=conflict,
            change_request=_last_change_request(application),
        )

    if request.method == "GET":
        form.fill_from(application)
        return page()
    if not _same_version(form.version.data, application.version):
        # Someone (or another tab) saved in between: keep what was typed, save nothing,
        # and let the user save again over the current version once they have looked.
        form.validate()
        form.version.data = application.version
        return page(conflict=True), 409
    if not form.validate():
        return page(), 400

    application.motivation = (form.motivation.data or "").strip() or None
    grade = form.average_grade.data
    application.average_grade = grade.quantize(Decimal("0.01")) if grade is not None else None
    application.language = (form.language.data or "").strip() or None
    application.cefr_level = form.cefr_level.data or None
    application.planned_start = form.planned_start.data
    application.planned_end = form.planned_end.data
    # Touched so that the version moves even when only the host choices changed.
    _touch(application)
    wanted = form.chosen_place_ids()
    if [choice.call_place_id for choice in application.choices] != wanted:
        # Old rows go first: re-ranking the same hosts would otherwise hit the
        # (application, place) unique constraint in the middle of the update.
        application.choices = []
        db.session.flush()
        application.choices = [
            ApplicationChoice(rank=rank, call_place_id=place_id) for rank, place_id in enumerate(wanted, 1)
        ]
    db.session.commit()
    flash(_("Your application has been saved."), "success")
    return redirect(url_for("applications.detail", id=application.id))


def _last_change_request(application):
    """The coordinator's latest request for changes, shown while the applicant makes them."""
    if application.state != "changes_requested":
        return None
    return db.session.scalar(
        db.select(TransitionLog)
        .where(TransitionLog.application_id == application.id, TransitionLog.trigger == "request_changes")
        .order_by(TransitionLog.id.desc())
        .limit(1)
    )


def _same_version(posted, current):
    try:
        return int(posted) == current
    except (TypeError, ValueError):
        return False


@bp.route("/<int:id>/documents", methods=["POST"])
@login_required
def upload(id):
    application = application_or_404(id, current_user)
    user = current_user._get_current_object()
    kinds = uploadable_kinds(application, user)
    if not kinds:
        abort(403)
    form = UploadForm(kinds)
    if not form.validate_on_submit():
        return _render_detail(application, upload_form=form, status=400)
    kind = form.kind.data
    replaced = (
        db.session.scalars(
            db.select(Document).where(
                Document.application_id == application.id, Document.kind == kind, Document.deleted_at.is_(None)
            )
        ).all()
        if replaces_previous(kind)
        else []
    )

    def refuse(message, status=400):
        form.file.errors.append(message)
        return _render_detail(application, upload_form=form, status=status)

    if replacement_refused(application, user, replaced):
        return refuse(
            _(
                "The office uploaded this document (%(kind)s): only the office may replace it.",
                kind=DOCUMENT_KINDS[kind],
            )
        )
    room = {}
    if user.id == application.applicant_id:  # the quota is the participant's, never the office's
        room_left = room_for_upload(upload_usage(application), replaced)
        if room_left.files_problem:
            return refuse(room_left.files_problem)
        room = {"room": room_left.free_bytes, "room_message": room_left.over_size_message}
    try:
        stored = storage.save_upload(form.file.data, **room)
    except storage.StorageError as error:
        flash(str(error), "danger")
        return refuse(str(error), status=503)
    except storage.UploadError as error:
        return refuse(str(error))

    document = Document(
        application=application,
        kind=kind,
        original_name=stored.original_name,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by_id=user.id,
        uploaded_at=utcnow(),
    )
    db.session.add(document)
    # The old files stay: a replaced document is kept, for the office and the timeline.
    for old in replaced:
        old.remove(user, document.uploaded_at, replaced_by=document)
    _touch(application)
    try:
        db.session.flush()
        storage.place(stored)  # under its real name only once its row exists
        db.session.commit()
    except storage.StorageError as error:
        db.session.rollback()
        storage.discard(stored)
        flash(str(error), "danger")
        return refuse(str(error), status=503)
    except BaseException:
        db.session.rollback()
        storage.discard(stored)
        raise
    flash(_("%(kind)s uploaded: %(name)s.", kind=DOCUMENT_KINDS[kind], name=stored.original_name), "success")
    return redirect(url_for("applications.detail", id=application.id) + "#documents")


def _touch(application):
    """Documents are part of the application: a change to them moves its version, so a
    coordinator acting on what they saw is told when the documents changed meanwhile."""
    application.updated_at = utcnow()


def _document_or_404(application, document_id, current_only=True):
    query = db.select(Document).where(Document.id == document_id, Document.application_id == application.id)
    if current_only:
        query = query.where(Document.deleted_at.is_(None))
    document = db.session.scalar(query)
    if document is None:
        abort(404)
    return document


@bp.route("/<int:id>/documents/<int:document_id>")
@login_required
def download(id, document_id):
    application = application_or_404(id, current_user)
    # Removed and replaced documents stay open to the staff who see the application.
    document = _document_or_404(application, document_id, current_only=application.applicant_id == current_user.id)
    try:
        return storage.send(document.stored_name, document.original_name, document.content_type)
    except FileNotFoundError:
        current_app.logger.error(
            "document %s of application %s: file %s missing from the upload folder",
            document.id,
            application.id,
            document.stored_name,
        )
        return render_template("applications/file_missing.html", application=application, document=document), 404


@bp.route("/<int:id>/documents/<int:document_id>/delete", methods=["POST"])
@login_required
def delete_document(id, document_id):
    application = application_or_404(id, current_user)
    document = _document_or_404(application, document_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not may_delete(application, current_user, document):
        abort(403)
    # Kept with who and when (the file too): the office may still need it, the timeline shows it.
    document.remove(current_user, utcnow())
    _touch(application)
    db.session.commit()
    flash(_("Document deleted: %(name)s.", name=document.original_name), "success")
    return redirect(url_for("applications.detail", id=application.id) + "#documents")


@bp.route("/<int:id>/fire/<trigger>", methods=["POST"])
@login_required
def fire(id, trigger):
    application = application_or_404(id, current_user)
    if trigger not in TRANSITIONS_BY_TRIGGER:
        abort(404)
    form = ActionForm()
    form.validate()
    if form.comment.errors:
        for error in form.comment.errors:
            flash(error, "danger")
        return redirect(url_for("applications.detail", id=application.id))
    data = {}
    if trigger in DATE_TRIGGERS:
        data[DATE_TRIGGERS[trigger]] = form.date.data
    # Every page that offers an action sends the version it showed; a post without one is
    # refused as stale (an empty version matches none) rather than acting on unseen changes.
    version = form.version.data or ""
    try:
        fire_trigger(
            application, trigger, current_user._get_current_object(), comment=form.comment.data, version=version, **data
        )
    except WorkflowError as error:
        db.session.rollback()
        flash(error.message, "danger")
        for problem in error.problems:
            flash(problem, "danger")
        return redirect(url_for("applications.detail", id=id))
    db.session.commit()
    flash(_("Done: the application is now “%(state)s”.", state=STATE_LABELS[application.state]), "success")
    return redirect(url_for("applications.detail", id=application.id))
