"""GET /applications/<id>/grant: the participant's grant, line by line, from the planned
dates and (once recorded) the actual ones. For the participant, the faculty's coordinators
and the head (policy.py); anyone else gets a 404."""

from flask import abort, render_template
from flask_login import current_user, login_required

from ..applications.policy import application_or_404
from ..models.grant import GRANT_PAYERS
from . import bp, operations, policy


def may_see_grant(application, user):
    """For the application's page: whether to link the grant."""
    return policy.may_see_grant(user, application)


bp.add_app_template_global(may_see_grant, "may_see_grant")


@bp.route("/applications/<int:id>/grant")
@login_required
def detail(id):
    user = current_user._get_current_object()
    application = application_or_404(id, user)
    if not policy.may_see_grant(user, application):
        abort(404)
    rules, planned, actual = operations.grants_of(application)
    return render_template(
        "grants/detail.html",
        application=application,
        rules=rules,
        planned=planned,
        actual=actual,
        is_staff=operations.is_staff_mobility(application),
        payer_label=GRANT_PAYERS[rules.payer] if rules else None,
    )
