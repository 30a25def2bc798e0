"""Mobility after selection: the coordinator's nominations page and the return report.

GET  /nominations                      confirmed participants to nominate (checkboxes), and those
                                       awaiting the host, about to leave, abroad, back, reporting
POST /nominations                      nominate the selected ones at once: one transaction
GET  /applications/<id>/report         the return report: the owner writes it while returned;
POST /applications/<id>/report         the coordinator in scope and the head read it

State changes go through the applications blueprint's fire route
(POST /applications/<id>/fire/<trigger>): host_accept, host_reject, depart, return_home,
submit_report, return_report, approve_report.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_timezone, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..applications.policy import application_or_404
from ..countries import country_name
from ..extensions import db
from ..models import ReturnReport
from ..models.base import utcnow
from ..web.access import role_required
from ..workflow import STATE_LABELS, available_actions
from . import bp
from .checklist import (
    EDITABLE_STATE,
    has_report_page,
    may_view_report,
    report_due_date,
    report_status,
)
from .forms import MobilityFilterForm, NominateForm, ReturnReportForm
from .nominations import NominationRefused, call_choices, may_nominate, mobility_rows, nominate_all, read_selection

# Actions a reviewer takes from the report page (the rest stay on the application page).
REPORT_REVIEW_TRIGGERS = ("return_report", "approve_report")


@bp.app_context_processor
def panels():
    """For the return report panel of the application page (templates/reports/_panel.html)."""
    return {"report_status": report_status}


@bp.context_processor
def helpers():
    return {"country_name": country_name, "format_decimal": format_decimal, "report_due": report_due_date}


# --- nominations ---------------------------------------------------------------------------


@bp.route("/nominations", methods=["GET", "POST"])
@role_required("coordinator", "head")
def nominations():
    user = current_user._get_current_object()
    filter_form = MobilityFilterForm(request.args, calls=call_choices(user))
    call_id = filter_form.call_id()
    form = NominateForm()

    def page(checked=(), refusals=(), status=200):
        sections = mobility_rows(user, call_id)
        nominable = {application.id for application in sections["confirmed"] if may_nominate(application, user)}
        return render_template(
            "reports/nominations.html",
            filter_form=filter_form,
            form=form,
            sections=sections,
            nominable=nominable,
            checked=set(checked),
            refusals=refusals,
            today=_today(),
        ), status

    if request.method == "GET":
        return page()
    if not form.validate_on_submit():
        abort(400)
    selection, refusals = read_selection(request.form)
    checked = [application_id for application_id, _version in selection]
    if refusals:
        return page(checked, refusals, 400)
    if not selection:
        flash(_("Choose at least one participant to nominate."), "warning")
        return page(status=400)
    try:
        nominated = nominate_all(user, selection)
        db.session.commit()
    except NominationRefused as refused:
        db.session.rollback()
        return page(checked, refused.refusals, 409 if refused.stale else 400)
    except (StaleDataError, IntegrityError):
        # Changed between our read and our write: nothing was saved.
        db.session.rollback()
        flash(
            _("A participant was changed by someone else meanwhile. Nothing was saved; check the list and try again."),
            "warning",
        )
        return page(checked, status=409)
    flash(
        ngettext(
            "%(num)d participant nominated; the hosts with a contact address have been told.",
            "%(num)d participants nominated; the hosts with a contact address have been told.",
            len(nominated),
        ),
        "success",
    )
    return redirect(url_for("reports.nominations", **({"call": call_id} if call_id else {})))


def _today():
    return utcnow().astimezone(get_timezone()).date()


# --- the return report --------------------------------------------------------------------


@bp.route("/applications/<int:id>/report", methods=["GET", "POST"])
@login_required
def report(id):
    user = current_user._get_current_object()
    application = application_or_404(id, user)
    # Examiners may see the application, not the report; nor is there one before departure.
    if not may_view_report(application, user):
        abort(404)
    if not has_report_page(application):
        abort(404)
    is_owner = application.applicant_id == user.id
    editable = is_owner and application.state == EDITABLE_STATE
    form = ReturnReportForm(formdata=request.form if request.method == "POST" else None)

    def page(conflict=None, status=200):
        # After a refused save the owner keeps what they typed: in the form while the report
        # is still theirs to edit, read-only (to copy) once it has been submitted meanwhile.
        return render_template(
            "reports/report.html",
            application=application,
            form=form,
            is_owner=is_owner,
            editable=editable,
            typed_read_only=conflict is not None and not editable,
            conflict=conflict,
            status=report_status(application, user),
            review_actions=[
                transition
                for transition in available_actions(application, user)
                if transition.trigger in REPORT_REVIEW_TRIGGERS
            ],
        ), status

    if request.method == "GET":
        form.fill_from(application)
        return page()
    if not is_owner:
        abort(403)
    if not form.validate_on_submit() and form.csrf_token.errors:
        abort(400)
    if not editable:
        # Usually submitted in another window after this form was opened.
        form.version.data = application.version
        if application.state == "abroad":
            message = _("The report can be written once your return has been recorded. Nothing was saved.")
        else:
            message = _(
                "The report can no longer be changed: the application is now “%(state)s”. Nothing was saved.",
                state=STATE_LABELS[application.state],
            )
        return page(conflict=message, status=409)
    if not _same_version(form.version.data, application.version):
        form.version.data = application.version
        return page(conflict=_stale_message(), status=409)
    if form.errors:
        return page(status=400)

    report = application.report
    if report is None:
        report = ReturnReport(application=application)
        db.session.add(report)
    form.save_to(report)
    # The report is part of the application: saving it moves the application's version,
    # so a coordinator acting on what they saw is told that it changed meanwhile.
    application.updated_at = utcnow()
    try:
        db.session.commit()
    except (StaleDataError, IntegrityError):
        # Another save won the race between our check and our write.
        db.session.rollback()
        form.version.data = application.version
        return page(conflict=_stale_message(), status=409)
    flash(_("Your report has been saved."), "success")
    return redirect(url_for("reports.report", id=application.id))


def _stale_message():
    return _(
        "This report was changed by someone else (or in another window) after you opened it. "
        "Nothing was saved. What you typed is kept below: check it, then save again."
    )


def _same_version(posted, current):
    try:
        return int(posted) == current
    except (TypeError, ValueError):
        return False
