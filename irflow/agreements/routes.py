"""The learning agreement of a study mobility.

GET       /applications/<id>/learning-agreement           the agreement, its state, what to do
GET, POST /applications/<id>/learning-agreement/edit      the participant drafts it
POST      /applications/<id>/learning-agreement/submit    the participant submits it
POST      /applications/<id>/learning-agreement/decision  a coordinator approves or returns it
GET, POST /applications/<id>/learning-agreement/change          abroad: the participant proposes a change
POST      /applications/<id>/learning-agreement/change/decision a coordinator approves or returns it

Its signed copy is uploaded on the application's page (document kind `learning_agreement`).

The staff mobility agreement of a teaching or training mobility, the same way:

GET       /applications/<id>/mobility-agreement
GET, POST /applications/<id>/mobility-agreement/edit
POST      /applications/<id>/mobility-agreement/submit
POST      /applications/<id>/mobility-agreement/decision

Its signed copy: document kind `mobility_agreement`.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length, Optional

from .. import web
from ..applications.policy import application_or_404
from ..errors import Refused
from ..extensions import db
from ..forms import FlaskForm
from ..models import Document
from ..web.errors import changed_by_someone_else_message
from . import bp, operations, policy
from .forms import LearningAgreementChangeForm, LearningAgreementForm, StaffAgreementForm, reason_label


def learning_agreement_status(application, user):
    """For the application's page: the agreement's state ("none" before it is written), or
    None where there is no learning agreement to show."""
    if not policy.may_see(user, application):
        return None
    agreement = operations.agreement_of(application)
    return agreement.state if agreement is not None else "none"


bp.add_app_template_global(learning_agreement_status, "learning_agreement_status")


def staff_agreement_status(application, user):
    """As learning_agreement_status, for the staff mobility agreement."""
    if not policy.may_see_staff(user, application):
        return None
    agreement = operations.staff_agreement_of(application)
    return agreement.state if agreement is not None else "none"


bp.add_app_template_global(staff_agreement_status, "staff_agreement_status")


class DecisionForm(FlaskForm):
    version = HiddenField()
    comment = TextAreaField(validators=[Optional(), Length(max=5000)])


def _conflict(error):
    """The words of a refusal: a use case's own, or (a write that lost to another one in the
    database) that someone else changed it."""
    return error.message if isinstance(error, Refused) else changed_by_someone_else_message()


def _viewer():
    return current_user._get_current_object()


def _application(id):
    application = application_or_404(id, _viewer())
    if not policy.may_see(_viewer(), application):
        abort(404)
    return application


def _signed_copies(application, kind="learning_agreement"):
    return [
        document
        for document in db.session.scalars(
            db.select(Document).where(
                Document.application_id == application.id,
                Document.kind == kind,
                Document.deleted_at.is_(None),
            )
        )
        if document.counts()
    ]


@bp.route("/applications/<int:id>/learning-agreement")
@login_required
def detail(id):
    application = _application(id)
    agreement = operations.agreement_of(application)
    viewer = _viewer()
    change = policy.open_change(agreement)
    return render_template(
        "agreements/detail.html",
        open_change=change,
        may_propose_change=policy.may_propose_change(viewer, application, agreement),
        may_decide_change=policy.may_decide_change(viewer, application, change),
        change_decision_form=DecisionForm(formdata=None, data={"version": change.version if change else ""}),
        reason_label=reason_label,
        application=application,
        agreement=agreement,
        minimum_ects=operations.minimum_ects(application),
        problems=operations.submission_problems(application, agreement) if agreement else [],
        may_draft=policy.may_draft(viewer, application, agreement),
        may_decide=policy.may_decide(viewer, application, agreement),
        signed_copies=_signed_copies(application),
        decision_form=DecisionForm(formdata=None, data={"version": agreement.version if agreement else ""}),
    )


@bp.route("/applications/<int:id>/learning-agreement/edit", methods=["GET", "POST"])
@login_required
def edit(id):
    application = _application(id)
    agreement = operations.agreement_of(application)
    if not policy.may_draft(_viewer(), application, agreement):
        abort(404)
    form = LearningAgreementForm(formdata=request.form if request.method == "POST" else None)

    def page(status=200, conflict=None):
        form.add_empty_rows()
        return render_template(
            "agreements/edit.html",
            application=application,
            form=form,
            conflict=conflict,
            minimum_ects=operations.minimum_ects(application),
        ), status

    if request.method == "GET":
        form.fill_from(agreement)
        return page()
    web.when_refused(lambda error: page(409, conflict=_conflict(error)))
    if not form.validate():
        return page(400)
    operations.save_draft(
        application,
        _viewer(),
        form.version.data,
        form.language_of_instruction.data,
        form.courses("host"),
        form.courses("home"),
    )
    flash(_("The learning agreement is saved."), "success")
    return redirect(url_for("agreements.detail", id=application.id))


@bp.route("/applications/<int:id>/learning-agreement/submit", methods=["POST"])
@login_required
def submit(id):
    return _submitted(
        _application(id),
        "agreements.detail",
        operations.submit,
        _("The learning agreement is submitted to your coordinator."),
    )


@bp.route("/applications/<int:id>/learning-agreement/decision", methods=["POST"])
@login_required
def decision(id):
    return _decided(
        _application(id),
        "agreements.detail",
        operations.decide,
        _("The learning agreement is approved."),
        _("The learning agreement is returned for changes."),
    )


def _submitted(application, page_endpoint, submit_operation, message):
    """A submit button's POST: the operation, then back to the agreement's page."""
    form = DecisionForm()
    form.validate()
    page_url = url_for(page_endpoint, id=application.id)
    web.back_to(page_url)
    submit_operation(application, _viewer(), form.version.data)
    flash(message, "success")
    return redirect(page_url)


def _decided(application, page_endpoint, decide_operation, approved_message, returned_message):
    """An approve-or-return POST: the decision (a return needs its comment), then back."""
    form = DecisionForm()
    form.validate()
    decision = request.form.get("decision")
    if decision not in ("approve", "return"):
        abort(400)
    page_url = url_for(page_endpoint, id=application.id)
    web.back_to(page_url)
    decide_operation(application, _viewer(), form.version.data, decision == "approve", form.comment.data)
    flash(approved_message if decision == "approve" else returned_message, "success")
    return redirect(page_url)


@bp.route("/applications/<int:id>/learning-agreement/change", methods=["GET", "POST"])
@login_required
def change(id):
    application = _application(id)
    agreement = operations.agreement_of(application)
    # Only the participant; a POST when no change may be proposed is refused with the reason.
    if agreement is None or not policy.is_owner(_viewer(), application):
        abort(404)
    if request.method == "GET" and not policy.may_propose_change(_viewer(), application, agreement):
        abort(404)
    open_change = policy.open_change(agreement)
    form = LearningAgreementChangeForm(formdata=request.form if request.method == "POST" else None)

    def page(status=200, conflict=None, problems=()):
        form.add_empty_rows()
        return render_template(
            "agreements/change.html",
            application=application,
            agreement=agreement,
            open_change=open_change,
            form=form,
            conflict=conflict,
            problems=problems,
            courses_by_id={str(course.id): course for course in agreement.courses},
            minimum_ects=operations.minimum_ects(application),
        ), status

    if request.method == "GET":
        form.fill_from(agreement, open_change)
        return page()

    def refused(error):
        if isinstance(error, Refused):
            return page(409, conflict=error.message, problems=error.problems)
        return page(409, conflict=changed_by_someone_else_message())

    web.when_refused(refused)
    if not form.validate():
        return page(400)
    operations.submit_change(application, _viewer(), form.version.data, form.removals(), form.additions())
    flash(_("The change is submitted to your coordinator."), "success")
    return redirect(url_for("agreements.detail", id=application.id))


@bp.route("/applications/<int:id>/learning-agreement/change/decision", methods=["POST"])
@login_required
def change_decision(id):
    return _decided(
        _application(id),
        "agreements.detail",
        operations.decide_change,
        _("The change is approved; the final version is updated."),
        _("The change is returned."),
    )


def _staff_application(id):
    application = application_or_404(id, _viewer())
    if not policy.may_see_staff(_viewer(), application):
        abort(404)
    return application


@bp.route("/applications/<int:id>/mobility-agreement")
@login_required
def staff_detail(id):
    application = _staff_application(id)
    agreement = operations.staff_agreement_of(application)
    viewer = _viewer()
    return render_template(
        "agreements/staff_detail.html",
        application=application,
        agreement=agreement,
        may_draft=policy.may_draft(viewer, application, agreement),
        may_decide=policy.may_decide(viewer, application, agreement),
        signed_copies=_signed_copies(application, "mobility_agreement"),
        decision_form=DecisionForm(formdata=None, data={"version": agreement.version if agreement else ""}),
    )


@bp.route("/applications/<int:id>/mobility-agreement/edit", methods=["GET", "POST"])
@login_required
def staff_edit(id):
    application = _staff_application(id)
    agreement = operations.staff_agreement_of(application)
    if not policy.may_draft(_viewer(), application, agreement):
        abort(404)
    form = StaffAgreementForm(
        formdata=request.form if request.method == "POST" else None, mobility_type=application.call.mobility_type
    )

    def page(status=200, conflict=None):
        return render_template(
            "agreements/staff_edit.html", application=application, form=form, conflict=conflict
        ), status

    if request.method == "GET":
        form.fill_from(agreement)
        return page()
    web.when_refused(lambda error: page(409, conflict=_conflict(error)))
    if not form.validate():
        return page(400)
    operations.save_staff_draft(application, _viewer(), form.version.data, form.details())
    flash(_("The mobility agreement is saved."), "success")
    return redirect(url_for("agreements.staff_detail", id=application.id))


@bp.route("/applications/<int:id>/mobility-agreement/submit", methods=["POST"])
@login_required
def staff_submit(id):
    return _submitted(
        _staff_application(id),
        "agreements.staff_detail",
        operations.submit_staff,
        _("The mobility agreement is submitted to your coordinator."),
    )


@bp.route("/applications/<int:id>/mobility-agreement/decision", methods=["POST"])
@login_required
def staff_decision(id):
    return _decided(
        _staff_application(id),
        "agreements.staff_detail",
        operations.decide_staff,
        _("The mobility agreement is approved."),
        _("The mobility agreement is returned for changes."),
    )
