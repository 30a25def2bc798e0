"""The participant's grant.

GET  /applications/<id>/grant               the grant line by line, from the planned dates and
                                            (once recorded) the actual ones
POST /applications/<id>/grant/travel        the participant: green travel or not
POST /applications/<id>/grant/travel-days   the faculty's coordinator or the head: travel days

For the participant, the faculty's coordinators and the head (policy.py); anyone else gets a
404. Both choices close once the grant agreement is issued (irflow/grant_agreements/, which
adds the agreement, its instalments and its signed copy to the page)."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import web
from ..applications.policy import application_or_404
from ..errors import Refused
from ..models.grant import GRANT_PAYERS, GREEN_TRAVEL_DAYS_MAX, TRAVEL_DAYS_MAX
from ..web.errors import changed_by_someone_else_message
from . import bp, operations, policy
from .forms import GreenTravelForm, TravelDaysForm


def may_see_grant(application, user):
    """For the application's page: whether to link the grant."""
    return policy.may_see_grant(user, application)


bp.add_app_template_global(may_see_grant, "may_see_grant")


def _viewer():
    return current_user._get_current_object()


def _application(id):
    application = application_or_404(id, _viewer())
    if not policy.may_see_grant(_viewer(), application):
        abort(404)
    return application


def _page(application, status=200, conflict=None, travel_form=None, days_form=None):
    user = _viewer()
    rules, planned, actual = operations.grants_of(application)
    agreement = operations.agreement_of(application)
    version = agreement.version if agreement is not None else ""
    if travel_form is None:
        choice = None if agreement is None else ("yes" if agreement.green_travel else "no")
        travel_form = GreenTravelForm(formdata=None, data={"version": version, "green_travel": choice})
    if days_form is None:
        days = agreement.travel_days if agreement is not None else 0
        days_form = TravelDaysForm(formdata=None, data={"version": version, "travel_days": days})
    return render_template(
        "grants/detail.html",
        application=application,
        rules=rules,
        planned=planned,
        actual=actual,
        agreement=agreement,
        is_staff=operations.is_staff_mobility(application),
        payer_label=GRANT_PAYERS[rules.payer] if rules else None,
        travel_form=travel_form,
        days_form=days_form,
        may_choose_travel=policy.may_choose_travel(user, application, agreement),
        may_set_travel_days=policy.may_set_travel_days(user, application, agreement),
        conflict=conflict,
        travel_days_max=TRAVEL_DAYS_MAX,
        green_travel_days_max=GREEN_TRAVEL_DAYS_MAX,
    ), status


def _conflict(error):
    return error.message if isinstance(error, Refused) else changed_by_someone_else_message()


@bp.route("/applications/<int:id>/grant")
@login_required
def detail(id):
    return _page(_application(id))


@bp.route("/applications/<int:id>/grant/travel", methods=["POST"])
@login_required
def travel(id):
    application = _application(id)
    if not policy.is_owner(_viewer(), application):
        abort(403)
    form = GreenTravelForm()
    web.when_refused(lambda error: _page(application, 409, _conflict(error), travel_form=form))
    if not form.validate():
        if form.csrf_token.errors:
            abort(400)
        return _page(application, 400, travel_form=form)
    green = form.green_travel.data == "yes"
    cut = operations.choose_travel(application, _viewer(), form.version.data, green)
    message = _("You travel green: the green travel support is granted.") if green else _("Your choice is saved.")
    flash(message, "success")
    if cut:
        flash(
            _("Without green travel, the travel days are at most %(most)s: they are reduced.", most=TRAVEL_DAYS_MAX),
            "warning",
        )
    return redirect(url_for("grants.detail", id=application.id))


@bp.route("/applications/<int:id>/grant/travel-days", methods=["POST"])
@login_required
def travel_days(id):
    application = _application(id)
    if not policy.is_office(_viewer(), application):
        abort(403)
    agreement = operations.agreement_of(application)
    form = TravelDaysForm()
    web.when_refused(lambda error: _page(application, 409, _conflict(error), days_form=form))
    valid = form.validate()
    if form.csrf_token.errors:
        abort(400)
    if not (valid and form.check_range(bool(agreement and agreement.green_travel))):
        return _page(application, 400, days_form=form)
    operations.set_travel_days(application, _viewer(), form.version.data, form.travel_days.data)
    flash(_("The travel days are saved."), "success")
    return redirect(url_for("grants.detail", id=application.id))
