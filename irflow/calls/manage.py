"""The head's pages under /manage/: the overview of the department's work, and calls with
their places and criteria. Every route here is for the head (and admin) only.

A refused form is shown again with status 400, what was typed kept and each message next
to its field; a saved one redirects (Post/Redirect/Get)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import web
from ..bad_input import page_number
from ..extensions import db
from ..grants import operations as grant_operations
from ..grants.forms import grant_rules_form
from ..models import Call
from ..models.base import utcnow
from ..models.partner import AGREEMENT_WARNING_DAYS
from ..partners.policy import agreement_problems
from ..partners.queries import all_partners, expiring_agreements, partner_count, partners_with_agreements
from ..programs.queries import all_programs, program_count
from ..web import EmptyForm
from ..web.access import gate_blueprint
from ..web.safety import local_path_or_none
from .forms import CallForm
from .operations import PlacesGivenMeanwhile, close_call, host_problems, save_call, set_published
from .policy import may_manage
from .queries import (
    application_counts,
    call_to_edit,
    current_calls,
    every_call,
    examiner_candidates,
    held_places_by_partner,
    protected_partners,
    scored_criteria,
)
from .routes import call_status

bp = Blueprint("manage", __name__, url_prefix="/manage")

PAGE_SIZE = 50


# Deny by default: every page of this blueprint is for those who manage (the head, admin).
gate_blueprint(bp, may_manage)


# --- overview -------------------------------------------------------------------------------


@bp.route("/")
def index():
    now = utcnow()
    calls = current_calls(now)
    return render_template(
        "manage/index.html",
        calls=calls,
        counts=application_counts([call.id for call in calls]),
        now=now,
        expiring=expiring_agreements(),
        warning_days=AGREEMENT_WARNING_DAYS,
        program_count=program_count(),
        partner_count=partner_count(),
    )


# --- calls --------------------------------------------------------------------------------------


def _closable(calls, now):
    """Ids of the calls that can be closed now (published and open)."""
    return {call.id for call in calls if call_status(call, now) == "open"}


@bp.route("/calls")
def calls():
    page = db.paginate(every_call(), page=page_number(), per_page=PAGE_SIZE, max_per_page=PAGE_SIZE, error_out=False)
    now = utcnow()
    return render_template(
        "manage/calls.html",
        page=page,
        counts=application_counts([call.id for call in page.items]),
        now=now,
        closable=_closable(page.items, now),
    )


def _call_form(call):
    partners = all_partners()
    examiners = examiner_candidates(call)
    form = CallForm(
        all_programs(),
        partners,
        examiners,
        protected_partners=protected_partners(call),
        held_places=held_places_by_partner(call),
        scored_criteria=scored_criteria(call),
    )
    return form, {partner.id: partner for partner in partners}, {user.id: user for user in examiners}


def _host_problems(form):
    """{row index: [what is missing]} for each host row whose partner no valid agreement
    covers for the call as typed: a warning next to the row (saving is allowed; publishing is not)."""
    hosts = form.chosen_hosts()
    partners = partners_with_agreements(partner_id for _, partner_id in hosts)
    terms = form.call_terms()
    problems = {
        index: agreement_problems(partners[partner_id], terms) for index, partner_id in hosts if partner_id in partners
    }
    return {index: messages for index, messages in problems.items() if messages}


def _call_page(form, call):
    form.add_empty_rows()
    context = {"host_problems": _host_problems(form)}
    if call is not None:
        now = utcnow()
        context |= {
            "now": now,
            "closable": call.id in _closable([call], now),
            "application_count": application_counts([call.id]).get(call.id, 0),
        }
    return render_template("manage/call_form.html", form=form, call=call, **context), (
        400 if form.is_submitted() else 200
    )


def _save(call, form, partners_by_id, examiners_by_id, shown_call):
    """Save the call, or show the form again as typed: with the places given meanwhile
    marked at their hosts, or a message above the hosts when the database refused (an
    applicant chose a host in the moment between the check and the save)."""

    def page(error):
        if not isinstance(error, PlacesGivenMeanwhile):
            form.place_errors.append(
                _(
                    "The call changed while you were editing it (an applicant may have just "
                    "chosen a host). Nothing was saved; please check and save again."
                )
            )
        return _call_page(form, shown_call)

    web.when_refused(page)
    save_call(call, form, partners_by_id, examiners_by_id)


@bp.route("/calls/new", methods=["GET", "POST"])
def new_call():
    call = Call(published=False)
    form, partners_by_id, examiners_by_id = _call_form(call)
    if request.method == "GET":
        form.default_academic_year()
    if form.validate_on_submit():
        _save(call, form, partners_by_id, examiners_by_id, shown_call=None)
        flash(_("Call %(title)s created. It is not published yet.", title=call.title), "success")
        return redirect(url_for("calls.manage.edit_call", call_id=call.id))
    return _call_page(form, None)


@bp.route("/calls/<int:call_id>/edit", methods=["GET", "POST"])
def edit_call(call_id):
    call = call_to_edit(call_id)
    if call is None:
        abort(404)
    form, partners_by_id, examiners_by_id = _call_form(call)
    if request.method == "GET":
        form.fill_from(call)
    elif form.validate_on_submit():
        _save(call, form, partners_by_id, examiners_by_id, shown_call=call)
        flash(_("Call %(title)s saved.", title=call.title), "success")
        if call.published and host_problems(call):
            # Published before (or an agreement ended since): the head is told, not stopped.
            flash(
                _("This published call has hosts no valid agreement covers: see the warnings next to them."),
                "warning",
            )
        return redirect(url_for("calls.manage.edit_call", call_id=call.id))
    return _call_page(form, call)


@bp.route("/calls/<int:call_id>/<any(publish, unpublish):action>", methods=["POST"])
def publication(call_id, action):
    call = db.get_or_404(Call, call_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    published = action == "publish"
    # A refusal is shown on the call's page, where each host's problem is next to its row.
    web.back_to(url_for("calls.manage.edit_call", call_id=call.id))
    set_published(call, published)
    flash(
        _("Call %(title)s is published.", title=call.title)
        if published
        else _("Call %(title)s is unpublished: only the department sees it now.", title=call.title),
        "success",
    )
    return redirect(local_path_or_none(request.form.get("next")) or url_for("calls.manage.calls"))


@bp.route("/calls/<int:call_id>/close", methods=["GET", "POST"])
def close(call_id):
    call = db.get_or_404(Call, call_id)
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if close_call(call):
            flash(_("Call %(title)s is closed: no more applications can be submitted.", title=call.title), "success")
        else:
            flash(_("Call %(title)s is not open, so there is nothing to close.", title=call.title), "warning")
        return redirect(url_for("calls.manage.edit_call", call_id=call.id))
    return render_template(
        "manage/call_close.html",
        call=call,
        form=form,
        is_open=call.is_open(),
        application_count=application_counts([call.id]).get(call.id, 0),
    )


# --- grant rules ----------------------------------------------------------------------------


@bp.route("/calls/<int:call_id>/grant-rules", methods=["GET", "POST"])
def grant_rules(call_id):
    call = db.get_or_404(Call, call_id)
    countries = sorted({place.partner.country for place in call.places})
    rules = grant_operations.rules_of(call)
    form = grant_rules_form(countries)

    def page(conflict=None, status=200):
        return render_template("calls/grant_rules.html", call=call, form=form, rules=rules, conflict=conflict), status

    def changed_meanwhile(error):
        # The head's figures stay in the form; the version becomes the current one, so that
        # saving again after checking them is a deliberate overwrite.
        current = grant_operations.rules_of(call)
        form.version.data = current.version if current is not None else ""
        return page(grant_operations.stale_rules_message(), 409)

    if request.method == "GET" and rules is not None:
        form.fill_from(rules)
    elif form.validate_on_submit():
        web.when_refused(changed_meanwhile)
        grant_operations.save_rules(call, form)
        flash(_("Grant rules of %(title)s saved.", title=call.title), "success")
        return redirect(url_for("calls.manage.grant_rules", call_id=call.id))
    return page(status=400 if form.is_submitted() else 200)
