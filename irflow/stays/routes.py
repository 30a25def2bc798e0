"""Changes during the stay.

GET  /applications/<id>/stay-changes       the requests with their decisions; the coordinator
POST /applications/<id>/stay-changes       of the faculty (or the head) approves or refuses one
GET  /applications/<id>/stay-changes/new   the participant's request, while abroad
POST /applications/<id>/stay-changes/new

Who may do what is policy.py's; anyone else gets a 404, as for the application itself.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import web
from ..applications.policy import application_or_404
from ..errors import Refused
from ..extensions import db
from ..models import StayChange
from ..models.stay_change import STAY_CHANGE_KINDS, STAY_CHANGE_STATES
from . import bp, operations, policy
from .forms import DecisionForm, StayChangeForm


def stay_change_status(application, user):
    """What the application page's card shows to `user`, or None when it shows no card."""
    if application.state != policy.STAY_STATE or not policy.may_view(user, application):
        return None
    return {
        "open_request": policy.open_request(application),
        "may_request": policy.may_request(user, application),
        "may_decide": policy.may_decide(user, application),
        "interrupted_days": operations.interrupted_days(application),
    }


# The card of the application page (templates/applications/detail.html).
bp.add_app_template_global(stay_change_status, "stay_change_status")


def _viewable_application(id):
    user = current_user._get_current_object()
    application = application_or_404(id, user)
    if not policy.may_view(user, application):
        abort(404)
    return user, application


def _list_url(application):
    return url_for("stays.index", id=application.id)


@bp.route("/applications/<int:id>/stay-changes", methods=["GET", "POST"])
@login_required
def index(id):
    user, application = _viewable_application(id)
    form = DecisionForm(formdata=request.form if request.method == "POST" else None)

    def page(conflict=None, status=200, failed_id=None):
        stay_changes = db.session.scalars(
            db.select(StayChange)
            .where(StayChange.application_id == application.id)
            .order_by(StayChange.created_at.desc(), StayChange.id.desc())
        ).all()
        return render_template(
            "stays/index.html",
            application=application,
            stay_changes=stay_changes,
            form=form,
            failed_id=failed_id,
            conflict=conflict,
            is_owner=policy.is_owner(user, application),
            may_request=policy.may_request(user, application) and policy.open_request(application) is None,
            may_decide=policy.may_decide(user, application),
            interrupted_days=operations.interrupted_days(application),
            KINDS=STAY_CHANGE_KINDS,
            STATES=STAY_CHANGE_STATES,
        ), status

    if request.method == "GET":
        return page()
    if not policy.may_decide(user, application):
        abort(403)
    if not form.validate_on_submit() and form.csrf_token.errors:
        abort(400)
    try:
        change_id = int(form.stay_change.data)
    except (TypeError, ValueError):
        abort(404)
    stay_change = db.session.get(StayChange, change_id)
    if stay_change is None or stay_change.application_id != application.id:
        abort(404)
    if form.decision.data not in ("approve", "refuse"):
        abort(400)

    def refused(error):
        message = error.message if isinstance(error, Refused) else operations.stale_message()
        return page(conflict=message, status=409)

    web.when_refused(refused)
    approve = form.decision.data == "approve"
    if not approve and not (form.comment.data or "").strip() and stay_change.is_open:
        form.comment.errors = [_("Say why the request is refused.")]
        return page(status=400, failed_id=stay_change.id)
    operations.decide(stay_change, user, approve, form.comment.data, form.version.data, form.application_version.data)
    flash(_("The request has been approved.") if approve else _("The request has been refused."), "success")
    return redirect(_list_url(application))


@bp.route("/applications/<int:id>/stay-changes/new", methods=["GET", "POST"])
@login_required
def new(id):
    user, application = _viewable_application(id)
    if not policy.may_request(user, application):
        abort(403)
    if policy.open_request(application) is not None:
        flash(operations.one_open_request_message(), "warning")
        return redirect(_list_url(application))
    form = StayChangeForm(formdata=request.form if request.method == "POST" else None)

    def page(conflict=None, status=200):
        return render_template(
            "stays/new.html",
            application=application,
            form=form,
            conflict=conflict,
            stay_start=policy.stay_start(application),
        ), status

    if request.method == "GET":
        form.kind.data = "extension"
        return page()
    if not form.validate_on_submit() and form.csrf_token.errors:
        abort(400)
    # The dates against the stay, next to their fields, where the form found nothing wrong.
    if not form.kind.errors:
        fields = form.request_fields()
        problems = policy.date_problems(
            application, fields["kind"], fields["new_end"], fields["interruption_from"], fields["interruption_to"]
        )
        for name, message in problems.items():
            field = getattr(form, name)
            if not field.errors:
                field.errors = [str(message)]
    if any(field.errors for field in form):
        return page(status=400)
    # A second request sent at the same moment hits the one-open index: said as such.
    web.when_refused(
        lambda error: page(
            conflict=error.message if isinstance(error, Refused) else operations.one_open_request_message(),
            status=409,
        )
    )
    operations.request_change(application, user, **form.request_fields())
    flash(_("Your request has been sent to the coordinator."), "success")
    return redirect(_list_url(application))
