"""The applicant's side of an application, and the page staff act on it from.

Every view that takes an application id starts with `policy.application_or_404`: a foreign
or unknown id is a 404, never somebody else's data. What the viewer may do there is the
policy's too; the views pass its answers to the templates.
"""

from collections import namedtuple

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import web
from ..bad_input import page_number
from ..errors import Refused
from ..extensions import db
from ..models import Application, Call, Document, Notification, PredepartureItemChange, StayChange, TransitionLog
from ..models.base import DOCUMENT_KINDS
from ..services import storage
from ..web.errors import changed_by_someone_else_message
from ..workflow import STATE_LABELS, TRANSITIONS_BY_TRIGGER, available_actions
from ..workflow.next_steps import deadline_now, what_happens_next
from . import bp, operations, policy
from .deadlines import changes_due, offer_due
from .documents import documents_by_kind, missing_required_kinds, replaces_previous, upload_usage
from .forms import ActionForm, ApplicationForm, UploadForm
from .progress import latest_change_requests, next_step, owners_next_step, problems_with_fixes
from .timeline import timeline

MESSAGES_PAGE_SIZE = 50

# One card of the list of applications: the next step is the one the application's page offers.
ApplicationCard = namedtuple("ApplicationCard", "application next_step deadline")

# Shown on the pages of the applications and of the review queue.
bp.add_app_template_global(changes_due, "changes_due")
bp.add_app_template_global(offer_due, "offer_due")


def _viewer():
    return current_user._get_current_object()


@bp.route("/")
@login_required
def index():
    applications = db.session.scalars(
        db.select(Application)
        .where(Application.applicant_id == current_user.id)
        .options(
            db.joinedload(Application.call).joinedload(Call.program),
            # What the next step checks in an editable application: its choices and documents.
            db.selectinload(Application.choices),
            db.selectinload(Application.documents),
        )
        .order_by(Application.created_at.desc(), Application.id.desc())
    ).all()
    change_requests = latest_change_requests(applications)
    cards = [
        ApplicationCard(
            application, owners_next_step(application, change_requests.get(application.id)), deadline_now(application)
        )
        for application in applications
    ]
    return render_template("applications/index.html", cards=cards)


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
    if not web.EmptyForm().validate_on_submit():
        abort(400)
    web.back_to(url_for("calls.index"))
    started = operations.start_application(call, _viewer())
    if started.how == "existing":
        flash(_("You already have an application to this call."), "info")
    if started.how != "new":
        return redirect(url_for("applications.detail", id=started.application.id))
    flash(_("Your draft application is ready. Fill in the details and upload the documents."), "success")
    return redirect(url_for("applications.edit", id=started.application.id))


def _history_rows(application, model, *people):
    """The application's rows of `model` in order, with the people they name loaded (one
    statement each, however long the history)."""
    return db.session.scalars(
        db.select(model)
        .where(model.application_id == application.id)
        .options(*(db.joinedload(person) for person in people))
        .order_by(model.id)
    ).all()


@bp.route("/<int:id>")
@login_required
def detail(id):
    application = policy.application_or_404(id, current_user)
    return _render_detail(application)


def _render_detail(application):
    viewer = _viewer()
    is_owner = policy.is_owner(viewer, application)
    editable = policy.may_edit(viewer, application)
    kinds = policy.uploadable_kinds(viewer, application)
    upload_form = upload_refusal = None
    if kinds:
        upload_refusal = _take_upload_refusal(application)
        # A link from what is missing names the kind to upload; a refused upload keeps its kind.
        wanted = upload_refusal["kind"] if upload_refusal else request.args.get("kind")
        upload_form = UploadForm(kinds, formdata=None, data={"kind": wanted} if wanted else None)
        if upload_refusal:
            upload_form[upload_refusal["field"]].errors = [upload_refusal["message"]]
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
    transitions = _history_rows(application, TransitionLog, TransitionLog.actor)
    stay_changes = _history_rows(application, StayChange, StayChange.requested_by, StayChange.decided_by)
    checklist_changes = _history_rows(application, PredepartureItemChange, PredepartureItemChange.actor)
    notices = db.select(Notification).where(Notification.application_id == application.id)
    if not policy.may_see_all_messages(viewer, application):
        notices = notices.where(Notification.recipient_id == viewer.id)
    notices = db.session.scalars(notices.order_by(Notification.created_at.desc(), Notification.id.desc())).all()
    call_open = application.call.is_open()
    change_request = _last_change_request(application)
    problems = problems_with_fixes(application) if editable else []
    return render_template(
        "applications/detail.html",
        application=application,
        is_owner=is_owner,
        editable=editable,
        may_delete_draft=policy.may_delete_draft(viewer, application),
        call_open=call_open,
        change_request=change_request,
        next_step=next_step(application, problems, change_request, call_open) if is_owner else None,
        what_next=what_happens_next(application, transitions[-1].trigger if transitions else None) if is_owner else [],
        # The submission deadline matters while the application is a draft.
        submission_deadline=application.call.closes_at if application.state == "draft" else None,
        documents=documents,
        documents_by_kind=documents_by_kind(documents),
        replacing_kinds=[DOCUMENT_KINDS[kind] for kind in kinds if replaces_previous(kind)],
        missing_files=missing_files,
        removed_documents=[document for document in all_documents if not document.is_current]
        if policy.may_see_removed_documents(viewer, application)
        else [],
        deletable={document.id for document in documents if policy.may_delete(viewer, application, document)},
        missing_kinds=missing_required_kinds(application),
        upload_form=upload_form,
        upload_refusal=upload_refusal,
        usage=upload_usage(application) if kinds else None,
        problems=problems,
        must_verify_email=policy.must_verify_email(viewer, application),
        verification_resend_minutes=current_app.config["VERIFY_RESEND_INTERVAL_SECONDS"] // 60,
        show_result=application.total_score is not None and policy.may_see_result(viewer, application),
        has_transitions=bool(transitions),
        timeline=timeline(transitions, all_documents, stay_changes, checklist_changes),
        notices=notices,
        actions=available_actions(application, viewer),
        date_triggers=operations.DATE_TRIGGERS,
    )


@bp.route("/<int:id>/edit", methods=["GET", "POST"])
@login_required
def edit(id):
    application = policy.application_or_404(id, current_user)
    viewer = _viewer()
    if not policy.is_owner(viewer, application):
        abort(404)
    if not policy.may_edit(viewer, application):
        flash(
            _("This application can no longer be edited: it is “%(state)s”.", state=STATE_LABELS[application.state]),
            "warning",
        )
        return redirect(url_for("applications.detail", id=application.id))
    form = ApplicationForm(application.call, formdata=request.form if request.method == "POST" else None)

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

    def conflict_page(error):
        # Someone (or another tab) saved in between: keep what was typed, save nothing,
        # and let the user save again over the current version once they have looked.
        form.version.data = application.version
        return page(conflict=True), 409

    web.when_refused(conflict_page)
    if not form.validate():
        # A stale form is answered as such first: the user compares before correcting.
        operations.ensure_version(application, form.version.data)
        return page(), 400
    operations.update_application(application, version=form.version.data, **form.values())
    flash(_("Your application has been saved."), "success")
    # Straight on to the documents, the next thing to do.
    return redirect(url_for("applications.detail", id=application.id, _anchor="upload"))


@bp.route("/<int:id>/check")
@login_required
def check(id):
    """Check your answers: everything entered, the documents and what is missing, with the
    button that submits (or resubmits)."""
    application = policy.application_or_404(id, current_user)
    viewer = _viewer()
    if not policy.is_owner(viewer, application):
        abort(404)
    if not policy.may_edit(viewer, application):
        return redirect(url_for("applications.detail", id=application.id))
    documents = [document for document in application.documents if document.is_current]
    trigger = "submit" if application.state == "draft" else "resubmit"
    return render_template(
        "applications/check.html",
        application=application,
        documents=documents_by_kind(documents, application.call.required_document_kinds or []),
        problems=problems_with_fixes(application),
        change_request=_last_change_request(application),
        trigger=TRANSITIONS_BY_TRIGGER[trigger],
        call_open=application.call.is_open(),
        must_verify_email=policy.must_verify_email(viewer, application),
    )


def _last_change_request(application):
    """The coordinator's latest request for changes, shown while the applicant makes them."""
    return latest_change_requests([application]).get(application.id)


@bp.route("/<int:id>/documents", methods=["POST"])
@login_required
def upload(id):
    application = policy.application_or_404(id, current_user)
    uploader = _viewer()
    kinds = policy.uploadable_kinds(uploader, application)
    if not kinds:
        abort(403)
    form = UploadForm(kinds)
    if not form.validate_on_submit():
        field = next(name for name in ("kind", "file") if form[name].errors)
        return _refuse_upload(application.id, field, form[field].errors[0], form.kind.data)

    def refused_page(error):
        # Nothing was saved; the reason goes to the application's page (see _refuse_upload).
        message = error.message if isinstance(error, Refused) else changed_by_someone_else_message()
        return _refuse_upload(application.id, "file", message, form.kind.data)

    web.when_refused(refused_page)
    document = operations.upload_document(application, uploader, form.kind.data, form.file.data)
    flash(_("%(kind)s uploaded: %(name)s.", kind=DOCUMENT_KINDS[document.kind], name=document.original_name), "success")
    return redirect(url_for("applications.detail", id=application.id) + "#documents")


_UPLOAD_REFUSED = "irflow_upload_refused"


def _refuse_upload(application_id, field, message, kind=None):
    """Send the user back to the application's page, where the reason is shown at the top
    and next to `field` ("kind" or "file") with the kind they chose: a redirect, so that a
    reload posts nothing again. The reason waits in the session for that one page."""
    session[_UPLOAD_REFUSED] = {"application": application_id, "field": field, "message": str(message), "kind": kind}
    return redirect(url_for("applications.detail", id=application_id, _anchor="error-summary"))


def _take_upload_refusal(application):
    refusal = session.get(_UPLOAD_REFUSED)
    if not refusal or refusal.get("application") != application.id:
        return None
    del session[_UPLOAD_REFUSED]
    return refusal


# A file over MAX_CONTENT_LENGTH is refused before the view runs: back to the application too.
web.errors.when_too_large(
    "applications.upload", lambda message: _refuse_upload(request.view_args["id"], "file", message)
)


def _document_or_404(application, document_id):
    document = db.session.scalar(
        db.select(Document).where(Document.id == document_id, Document.application_id == application.id)
    )
    if document is None:
        abort(404)
    return document


@bp.route("/<int:id>/documents/<int:document_id>")
@login_required
def download(id, document_id):
    application = policy.application_or_404(id, current_user)
    document = _document_or_404(application, document_id)
    if not policy.may_download(_viewer(), application, document):
        abort(404)
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


@bp.route("/<int:id>/documents/<int:document_id>/delete", methods=["GET", "POST"])
@login_required
def delete_document(id, document_id):
    application = policy.application_or_404(id, current_user)
    document = _document_or_404(application, document_id)
    if not document.is_current:
        abort(404)
    actor = _viewer()
    if request.method == "GET":
        if not policy.may_delete(actor, application, document):
            abort(404)
        return render_template(
            "applications/confirm.html", what="delete_document", application=application, document=document
        )
    if not web.EmptyForm().validate_on_submit():
        abort(400)
    if not policy.may_delete(actor, application, document):
        abort(403)
    operations.remove_document(application, document, actor)
    flash(_("Document deleted: %(name)s.", name=document.original_name), "success")
    return redirect(url_for("applications.detail", id=application.id) + "#documents")


def _confirm_owner_action(id, trigger, what):
    """The page that asks before the owner fires `trigger`; its form posts to the fire route."""
    application = policy.application_or_404(id, current_user)
    viewer = _viewer()
    offered = {transition.trigger for transition in available_actions(application, viewer)}
    # A draft is deleted rather than withdrawn (see `delete`).
    if not policy.is_owner(viewer, application) or trigger not in offered or application.state == "draft":
        abort(404)
    return render_template(
        "applications/confirm.html",
        what=what,
        application=application,
        trigger=trigger,
        call_open=application.call.is_open(),
    )


@bp.route("/<int:id>/withdraw")
@login_required
def confirm_withdraw(id):
    return _confirm_owner_action(id, "withdraw", "withdraw")


@bp.route("/<int:id>/decline")
@login_required
def confirm_decline(id):
    return _confirm_owner_action(id, "decline_place", "decline")


@bp.route("/<int:id>/delete", methods=["GET", "POST"])
@login_required
def delete(id):
    application = policy.application_or_404(id, current_user)
    viewer = _viewer()
    if not policy.may_delete_draft(viewer, application):
        abort(404)
    if request.method == "GET":
        return render_template(
            "applications/confirm.html",
            what="delete_draft",
            application=application,
            call_open=application.call.is_open(),
        )
    form = ActionForm()
    if not form.validate():
        abort(400)
    web.back_to(url_for("applications.detail", id=application.id))
    operations.delete_draft(application, viewer, version=form.version.data or "")
    flash(_("Your draft has been deleted. You may start a new application while the call is open."), "success")
    return redirect(url_for("applications.index"))


@bp.route("/<int:id>/fire/<trigger>", methods=["POST"])
@login_required
def fire(id, trigger):
    application = policy.application_or_404(id, current_user)
    if trigger not in TRANSITIONS_BY_TRIGGER:
        abort(404)
    form = ActionForm()
    form.validate()
    # A reviewer who came from the queue stays on its way (the page checks the value).
    detail_url = url_for("applications.detail", id=application.id, queue=request.args.get("queue"))
    if form.comment.errors:
        for error in form.comment.errors:
            flash(error, "danger")
        return redirect(detail_url)
    web.back_to(detail_url)
    # Every page that offers an action sends the version it showed; a post without one is
    # refused as stale (an empty version matches none) rather than acting on unseen changes.
    operations.fire_action(
        application, trigger, _viewer(), comment=form.comment.data, version=form.version.data or "", date=form.date.data
    )
    flash(_("Done: the application is now “%(state)s”.", state=STATE_LABELS[application.state]), "success")
    return redirect(detail_url)
