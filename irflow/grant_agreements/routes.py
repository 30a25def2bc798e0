"""The grant agreement.

GET  /applications/<id>/grant/issue       before issuing it again: what changes, and Confirm
POST /applications/<id>/grant/issue       the faculty's coordinator or the head issues it (again)
GET  /applications/<id>/grant/agreement   the printable agreement, in the participant's language

The grant page (grants/) shows the agreement's state, its instalments and its signed copy
through `grant_agreement_status`; the application's page says the state in its grant card."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import web
from ..applications.policy import application_or_404
from ..grants import operations as grants
from ..grants.policy import is_office, may_see_grant
from ..i18n import language_of
from ..models.base import utcnow
from ..payments import operations as payments
from ..predeparture.reminders import department_today
from . import bp, operations, policy
from .forms import IssueForm


def _state(agreement, copies):
    if copies:
        return "signed"
    return "to_sign" if agreement is not None and agreement.issued else "not_issued"


def grant_agreement_state(application, user):
    """For the application's grant card: "not_issued", "to_sign" or "signed" (None: no card)."""
    if not may_see_grant(user, application):
        return None
    agreement = grants.agreement_of(application)
    issued = agreement is not None and agreement.issued
    return _state(agreement, operations.signed_copies(application) if issued else [])


def grant_agreement_status(application, user):
    """What the grant page shows `user` of the agreement: its state, the agreement, its
    instalments and signed copies, and whether `user` may issue it (with what keeps a new
    issue back). None: nothing to show."""
    if not may_see_grant(user, application):
        return None
    agreement = grants.agreement_of(application)
    issued = agreement is not None and agreement.issued
    copies = operations.signed_copies(application) if issued else []
    may_issue = policy.may_issue(user, application)
    return {
        "state": _state(agreement, copies),
        "agreement": agreement,
        "signed_copies": copies,
        "instalments": payments.instalments_of(application) if issued else [],
        "may_issue": may_issue,
        "issue_form": IssueForm(formdata=None, data={"version": agreement.version if agreement else ""}),
        "reissue_problem": operations.reissue_problem(application, agreement) if may_issue else None,
    }


bp.add_app_template_global(grant_agreement_state, "grant_agreement_state")
bp.add_app_template_global(grant_agreement_status, "grant_agreement_status")


def _viewer():
    return current_user._get_current_object()


def _office_application(id):
    application = application_or_404(id, _viewer())
    if not may_see_grant(_viewer(), application):
        abort(404)
    if not is_office(_viewer(), application):
        abort(403)
    return application


@bp.route("/applications/<int:id>/grant/issue")
@login_required
def confirm_issue(id):
    """Issuing again replaces an agreement the participant may have printed: ask first."""
    application = _office_application(id)
    agreement = grants.agreement_of(application)
    if agreement is None or not agreement.issued or not policy.may_issue(_viewer(), application):
        return redirect(url_for("grants.detail", id=application.id, _anchor="agreement"))
    _rules, planned, _actual = grants.grants_of(application, from_rules=True)
    return render_template(
        "grant_agreements/confirm_issue.html",
        application=application,
        agreement=agreement,
        new_total=planned.granted_total if planned is not None and not planned.problems else None,
        reissue_problem=operations.reissue_problem(application, agreement),
        form=IssueForm(formdata=None, data={"version": agreement.version}),
    )


@bp.route("/applications/<int:id>/grant/issue", methods=["POST"])
@login_required
def issue(id):
    application = _office_application(id)
    form = IssueForm()
    form.validate()
    web.back_to(url_for("grants.detail", id=application.id, _anchor="agreement"))
    earlier = grants.agreement_of(application)
    reissued = earlier is not None and earlier.issued
    agreement = operations.issue(application, _viewer(), form.version.data, department_today(utcnow()))
    flash(
        _("The grant agreement %(number)s is issued again; the participant is told.", number=agreement.number)
        if reissued
        else _("The grant agreement %(number)s is issued; the participant is told.", number=agreement.number),
        "success",
    )
    return redirect(url_for("grants.detail", id=application.id, _anchor="agreement"))


@bp.route("/applications/<int:id>/grant/agreement")
@login_required
def document(id):
    application = application_or_404(id, _viewer())
    agreement = grants.agreement_of(application)
    if not policy.may_read(_viewer(), application, agreement):
        abort(404)
    rules, planned, _actual = grants.grants_of(application)
    with force_locale(language_of(application.applicant)):
        return render_template(
            "grant_agreements/document.html",
            application=application,
            agreement=agreement,
            rules=rules,
            grant=planned,
            is_staff=grants.is_staff_mobility(application),
            instalments=payments.instalments_of(application),
            participant_data=application.participant_data,
        )
