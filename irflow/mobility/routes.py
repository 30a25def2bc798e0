"""The coordinator's nominations page: participants from their confirmed place until their
return report is approved.

GET  /nominations    confirmed participants to nominate (checkboxes), and those awaiting
                     the host, about to leave, abroad, back, reporting
POST /nominations    nominate the selected ones at once: one transaction

State changes after the nomination go through the applications blueprint's fire route
(POST /applications/<id>/fire/<trigger>): host_accept, host_reject, depart, return_home.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_timezone, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from .. import web
from ..errors import Refused
from ..models.base import utcnow
from ..returns.policy import may_nominate, may_see_nominations
from ..web.access import allowed_if
from ..workflow.next_steps import report_due_date
from . import bp
from .forms import MobilityFilterForm, NominateForm
from .nominations import call_choices, host_lists, mobility_rows, read_selection
from .operations import NominationRefused, nominate_all


@bp.route("/nominations", methods=["GET", "POST"])
@allowed_if(may_see_nominations)
def nominations():
    user = current_user._get_current_object()
    filter_form = MobilityFilterForm(request.args, calls=call_choices(user))
    call_id = filter_form.call_id()
    form = NominateForm()

    def page(checked=(), refusals=(), status=200):
        sections = mobility_rows(user, call_id)
        return render_template(
            "mobility/nominations.html",
            filter_form=filter_form,
            form=form,
            sections=sections,
            nominable={application.id for application in sections["confirmed"] if may_nominate(user, application)},
            checked=set(checked),
            refusals=refusals,
            due_dates={application.id: report_due_date(application) for application in sections["returned"]},
            host_lists=host_lists(sections),
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

    def refused(error):
        # Nothing was nominated (the request was rolled back): the choice is kept, with why.
        if isinstance(error, NominationRefused):
            return page(checked, error.refusals, 409 if error.stale else 400)
        if isinstance(error, Refused):
            flash(error.message, "danger")
            return page(checked, status=400)
        flash(
            _("A participant was changed by someone else meanwhile. Nothing was saved; check the list and try again."),
            "warning",
        )
        return page(checked, status=409)

    web.when_refused(refused)
    nominated = nominate_all(user, selection)
    flash(
        ngettext(
            "%(num)d participant nominated; the hosts with a contact address have been told.",
            "%(num)d participants nominated; the hosts with a contact address have been told.",
            len(nominated),
        ),
        "success",
    )
    return redirect(url_for("mobility.nominations", **({"call": call_id} if call_id else {})))


def _today():
    return utcnow().astimezone(get_timezone()).date()
