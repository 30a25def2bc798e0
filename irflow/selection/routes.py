"""The head's selection of a call: the proposal, its confirmation, the printable protocol.

GET  /calls/<id>/selection            the ranking and the proposed allocation (editable),
                                      or after confirmation the decision and the waiting list
POST /calls/<id>/selection            confirm: one transaction fires select / waitlist /
                                      not_select for every tested application
GET  /calls/<id>/selection/protocol   the printable protocol, after confirmation

The confirmation is made against the fingerprint of the proposal the page showed: if
anything it was built from changed meanwhile, nothing is done and the page is shown
again with the current data.
"""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import web
from ..errors import Refused
from ..extensions import db
from ..i18n import format_moment
from ..models import Call
from ..models.base import utcnow
from ..web.access import role_required
from . import bp, offers
from .forms import ConfirmSelectionForm, place_field, read_decisions, result_field
from .operations import confirm_selection, lock_call, still_open
from .proposal import RESULTS, check_decisions, confirmed_selection, host_lines, proposal_for

# What the selection's pages use besides their data.
PAGE_HELPERS = {"RESULTS": RESULTS, "result_field": result_field, "place_field": place_field}

# The offer and result panels of the application page (templates/applications/detail.html).
bp.add_app_template_global(offers.offer_for, "selection_offer")
bp.add_app_template_global(offers.result_for, "selection_result")


def _call_or_404(call_id, lock=False):
    if lock:
        lock_call(call_id)
    return db.get_or_404(Call, call_id)


@bp.route("/calls/<int:call_id>/selection")
@role_required("head")
def page(call_id):
    call = _call_or_404(call_id)
    if call.selection_confirmed_at is not None:
        return _render_confirmed(call)
    proposal = proposal_for(call)
    form = ConfirmSelectionForm(formdata=None)
    form.fingerprint.data = proposal.fingerprint
    return _render_proposal(proposal, form)


@bp.route("/calls/<int:call_id>/selection", methods=["POST"])
@role_required("head")
def confirm(call_id):
    call = _call_or_404(call_id, lock=True)
    form = ConfirmSelectionForm()
    form.validate()  # the CSRF token; CSRFProtect has refused a bad one already
    actor = current_user._get_current_object()
    if call.selection_confirmed_at is not None:
        return _render_confirmed(
            call, status=409, notice=_("The selection of this call had already been confirmed; nothing was changed.")
        )

    proposal = proposal_for(call)
    if still_open(call):
        # Applications could still arrive and be tested after the decision, with nobody to decide on them.
        form.fingerprint.data = proposal.fingerprint
        return _render_proposal(
            proposal,
            form,
            status=409,
            failure=[
                _(
                    "The call is still open for applications until %(date)s: the selection can be confirmed "
                    "once it has closed.",
                    date=format_moment(call.closes_at),
                )
            ],
        )
    if form.fingerprint.data != proposal.fingerprint:
        form.fingerprint.data = proposal.fingerprint
        return _render_proposal(proposal, form, status=409, conflict=True)

    decisions = read_decisions(request.form, proposal)
    errors, general = check_decisions(proposal, decisions)
    if any(row.application.applicant_id == actor.id for row in proposal.ranked):
        general.append(
            _(
                "You have applied to this call yourself: another head of department or an "
                "administrator must confirm this selection."
            )
        )
    if errors or general:
        return _render_proposal(proposal, form, decisions=decisions, errors=errors, general=general, status=400)

    web.when_refused(lambda error: _refused_confirmation(call, form, error))
    confirm_selection(call, proposal, decisions, actor)

    counts = proposal.counts(decisions)
    flash(
        _(
            "The selection is confirmed: %(selected)d selected, %(waitlisted)d on the waiting list, "
            "%(not_selected)d not selected. The applicants have been notified.",
            selected=counts["select"],
            waitlisted=counts["waitlist"],
            not_selected=counts["not_select"],
        ),
        "success",
    )
    return redirect(url_for("selection.page", call_id=call.id))


def _refused_confirmation(call, form, error):
    """The proposal as it now is, with why nothing was confirmed (everything was rolled back)."""
    failure = (
        [error.message, *error.problems]
        if isinstance(error, Refused)
        else [_("An application was changed by someone else meanwhile.")]
    )
    proposal = proposal_for(call)
    form.fingerprint.data = proposal.fingerprint
    return _render_proposal(proposal, form, status=409, failure=failure)


def _render_proposal(
    proposal, form, decisions=None, errors=None, general=None, status=200, conflict=False, failure=None
):
    decisions = decisions if decisions is not None else proposal.decisions()
    waitlist = [row for row in proposal.ranked if decisions.get(row.id) and decisions[row.id].result == "waitlist"]
    return render_template(
        "selection/page.html",
        call=proposal.call,
        proposal=proposal,
        form=form,
        decisions=decisions,
        errors=errors or {},
        general=general or [],
        hosts=host_lines(proposal, decisions),
        counts=proposal.counts(decisions),
        waitlist=waitlist,
        conflict=conflict,
        failure=failure,
        still_open=still_open(proposal.call),
        **PAGE_HELPERS,
    ), status


def _render_confirmed(call, status=200, notice=None):
    return render_template(
        "selection/confirmed.html",
        call=call,
        selection=confirmed_selection(call),
        notice=notice,
        **PAGE_HELPERS,
    ), status


@bp.route("/calls/<int:call_id>/selection/protocol")
@role_required("head")
def protocol(call_id):
    call = _call_or_404(call_id)
    if call.selection_confirmed_at is None:
        return render_template(
            "selection/protocol.html", call=call, selection=None, university=_university_name(), **PAGE_HELPERS
        ), 409
    return render_template(
        "selection/protocol.html",
        call=call,
        selection=confirmed_selection(call),
        university=_university_name(),
        printed_at=utcnow(),
        **PAGE_HELPERS,
    )


def _university_name():
    return current_app.config.get("UNIVERSITY_NAME") or _("Khujand State University named after B. Gafurov")
