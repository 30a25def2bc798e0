"""The return report.

GET  /applications/<id>/report       the return report: the owner writes it while returned;
POST /applications/<id>/report       the coordinator in scope and the head read it
GET  /applications/<id>/recognition  a study mobility's recognition, course by course: the
POST /applications/<id>/recognition  coordinator records it, the participant reads it

Who may do what is policy.py's. Submitting, returning and approving it go through the
applications blueprint's fire route (POST /applications/<id>/fire/<trigger>):
submit_report, return_report, approve_report.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import web
from ..agreements.operations import agreement_of
from ..applications.policy import application_or_404
from ..errors import Refused
from ..workflow.next_steps import report_due_date
from . import bp, policy
from .checklist import report_status
from .forms import RecognitionForm, ReturnReportForm
from .operations import check_report_editable, recognised_ects, save_recognition, save_report, stale_report_message

# The return report panel of the application page (templates/applications/detail.html).
bp.add_app_template_global(report_status, "report_status")


def recognition_summary(application, user):
    """For the application and report pages: the recognised courses and their ECTS, or None
    where `user` may not see a recognition (examiners, other faculties' coordinators)."""
    if not policy.may_see_recognition(user, application):
        return None
    return {
        "rows": application.recognitions,
        "ects": recognised_ects(application),
        "may_record": policy.may_record_recognition(user, application),
    }


bp.add_app_template_global(recognition_summary, "recognition_summary")


@bp.route("/applications/<int:id>/report", methods=["GET", "POST"])
@login_required
def report(id):
    user = current_user._get_current_object()
    application = application_or_404(id, user)
    # Examiners may see the application, not the report; nor is there one before departure.
    if not policy.may_view_report(user, application):
        abort(404)
    is_owner = application.applicant_id == user.id
    form = ReturnReportForm(formdata=request.form if request.method == "POST" else None)

    def page(conflict=None, status=200):
        # After a refused save the owner keeps what they typed: in the form while the report
        # is still theirs to edit, read-only (to copy) once it has been submitted meanwhile.
        editable = policy.may_edit_report(user, application)
        return render_template(
            "returns/report.html",
            application=application,
            form=form,
            is_owner=is_owner,
            editable=editable,
            typed_read_only=conflict is not None and not editable,
            conflict=conflict,
            status=report_status(application, user),
            stage=policy.report_stage(application),
            report_due=report_due_date(application),
            may_upload_evidence=policy.may_upload_evidence(user, application),
            review_actions=policy.review_actions(user, application),
            recognition=recognition_summary(application, user),
        ), status

    if request.method == "GET":
        form.fill_from(application)
        return page()
    if not is_owner:
        abort(403)
    if not form.validate_on_submit() and form.csrf_token.errors:
        abort(400)

    def refused(error):
        # Rolled back: the form comes again with the version now stored, and what was typed.
        form.version.data = application.version
        return page(conflict=error.message if isinstance(error, Refused) else stale_report_message(), status=409)

    web.when_refused(refused)
    # Not editable (any more) or opened before another save: said before any field error.
    check_report_editable(application, user, form.version.data)
    if form.errors:
        return page(status=400)
    save_report(application, user, form.version.data, **form.report_fields())
    flash(_("Your report has been saved."), "success")
    return redirect(url_for("returns.report", id=application.id))


@bp.route("/applications/<int:id>/recognition", methods=["GET", "POST"])
@login_required
def recognition(id):
    user = current_user._get_current_object()
    application = application_or_404(id, user)
    if not policy.may_see_recognition(user, application):
        abort(404)
    form = RecognitionForm(formdata=request.form if request.method == "POST" else None)

    def page(conflict=None, status=200):
        if policy.may_record_recognition(user, application):
            form.add_empty_rows()
        return render_template(
            "returns/recognition.html",
            application=application,
            form=form,
            summary=recognition_summary(application, user),
            conflict=conflict,
        ), status

    if request.method == "GET":
        form.fill_from(application, agreement_of(application))
        return page()
    if not policy.may_record_recognition(user, application):
        abort(403)
    if not form.validate():
        if form.csrf_token.errors:
            abort(400)
        return page(status=400)

    def refused(error):
        form.version.data = application.version
        return page(conflict=error.message if isinstance(error, Refused) else stale_report_message(), status=409)

    web.when_refused(refused)
    save_recognition(application, user, form.version.data, form.recognised())
    flash(_("The recognition has been saved."), "success")
    return redirect(url_for("returns.recognition", id=application.id))
