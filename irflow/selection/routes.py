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

from collections import namedtuple
from decimal import Decimal

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from .. import web
from ..countries import country_name
from ..errors import Refused
from ..extensions import db
from ..i18n import format_moment
from ..models import Call
from ..models.base import utcnow
from ..web.access import role_required
from ..web.templating import university_name
from . import bp, offers
from .forms import ConfirmSelectionForm, RowFilter, place_field, read_decisions, result_field
from .operations import confirm_selection, lock_call, still_open
from .proposal import RESULTS, check_decisions, confirmed_selection, host_lines, proposal_for

CENT = Decimal("0.01")
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


def _cached_numbers():
    """format_decimal with each value formatted once: a few thousand rows share few scores."""
    texts = {}

    def number(value):
        if value is None:
            return ""
        text = texts.get(value)
        if text is None:
            text = texts[value] = format_decimal(value.quantize(CENT))
        return text

    return number


# One row of the ranking as the page shows it: numbers formatted, the selects' options made.
Line = namedtuple("Line", "row id cells total result_options place_options errors override")
WAITLIST_SHOWN = 100  # a longer waiting list is read in the ranking, filtered


def _options(choices, chosen):
    """<option>s of (value, escaped label) with `chosen` selected (the first when none is)."""
    if chosen not in {value for value, _label in choices}:
        chosen = choices[0][0]
    return Markup("").join(
        Markup(f'<option value="{value}"{" selected" if value == chosen else ""}>{label}</option>')
        for value, label in choices
    )


def _lines(proposal, shown, decisions, errors, overridden):
    """The shown rows ready to print: thousands of them, so formatted here once each and
    with the per-place texts made once per page."""
    number = _cached_numbers()
    results = [(value, escape(label)) for value, label in RESULTS.items()]
    result_options = {value: _options(results, value) for value in [*RESULTS, None]}
    hosts = {place.id: escape(place.partner.name) for place in proposal.call.places}
    none = ("", escape(_("— none —")))
    lines = []
    for row in shown:
        decision = decisions.get(row.id)
        if row.meets_minimum:
            result = result_options[decision.result if decision and decision.result in RESULTS else None]
            choices = [none] + [
                (str(choice.call_place_id), f"{choice.rank}. {hosts.get(choice.call_place_id, '')}")
                for choice in row.application.choices
            ]
            place = _options(choices, str(decision.place_id) if decision and decision.place_id else "")
        else:
            result = place = None
        lines.append(
            Line(
                row=row,
                id=row.id,
                cells=Markup("").join(
                    Markup('<td class="text-end">%s</td>') % number(value)
                    for _criterion, _weight, value in row.breakdown
                ),
                total=number(row.total),
                result_options=result,
                place_options=place,
                errors=errors.get(row.id),
                override=row.id in overridden,
            )
        )
    return lines


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
    call = proposal.call
    decisions = decisions if decisions is not None else proposal.decisions()
    errors = errors or {}
    waitlist = [row for row in proposal.ranked if decisions.get(row.id) and decisions[row.id].result == "waitlist"]
    row_filter = RowFilter.read(request.args, call)
    # A row the head changed or one refused is shown whatever the filter: posted again, or corrected.
    overridden = {row.id for row in proposal.ranked if decisions.get(row.id) != row.decision}
    shown = [row for row in proposal.ranked if row.id in overridden or row.id in errors or row_filter.keeps(row)]
    hosts = host_lines(proposal, decisions)
    number = _cached_numbers()
    # Links made once per page, not once per row.
    detail_url = url_for("applications.detail", id=0)
    return render_template(
        "selection/page.html",
        call=call,
        proposal=proposal,
        form=form,
        decisions=decisions,
        errors=errors,
        general=general or [],
        hosts=hosts,
        counts=proposal.counts(decisions),
        below_minimum=sum(1 for row in proposal.ranked if not row.meets_minimum),
        places_total=sum(line.places for line in hosts),
        free_total=sum(max(line.free, 0) for line in hosts),
        waitlist=waitlist,
        shown=shown,
        lines=_lines(proposal, shown, decisions, errors, overridden),
        row_filter=row_filter,
        host_labels={
            place.id: f"{place.partner.name} ({country_name(place.partner.country)})" for place in call.places
        },
        partner_names={place.id: place.partner.name for place in call.places},
        result_labels={value: str(label) for value, label in RESULTS.items()},
        detail_prefix=detail_url[: -len("0")],
        number=number,
        WAITLIST_SHOWN=WAITLIST_SHOWN,
        conflict=conflict,
        failure=failure,
        still_open=still_open(call),
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
            "selection/protocol.html", call=call, selection=None, university=university_name(), **PAGE_HELPERS
        ), 409
    return render_template(
        "selection/protocol.html",
        call=call,
        selection=confirmed_selection(call),
        university=university_name(),
        printed_at=utcnow(),
        **PAGE_HELPERS,
    )
