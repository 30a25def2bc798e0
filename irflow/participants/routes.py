"""Participant data for the European partner.

GET  /applications/<id>/participant-data   the participant fills it in once they hold a place;
POST /applications/<id>/participant-data   the head and the faculty's coordinators see and correct it

Who may do what is policy.py's; anyone else gets a 404, as for the application itself.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import web
from ..applications.policy import application_or_404
from ..countries import country_name
from ..errors import Refused
from ..isced import isced_label
from ..models.participant_data import GENDERS, STUDY_CYCLES
from . import bp, policy
from .forms import ParticipantDataForm
from .operations import check_participant_data_editable, save_participant_data, stale_participant_data_message


def participant_data_status(application, user):
    """What the application page's card shows to `user`, or None when it shows no card."""
    if not policy.may_view_participant_data(user, application):
        return None
    return {
        "filled_in": application.participant_data is not None,
        "may_edit": policy.may_edit_participant_data(user, application),
    }


# The participant data card of the application page (templates/applications/detail.html).
bp.add_app_template_global(participant_data_status, "participant_data_status")


@bp.route("/applications/<int:id>/participant-data", methods=["GET", "POST"])
@login_required
def participant_data(id):
    user = current_user._get_current_object()
    application = application_or_404(id, user)
    # Before selection there is nothing to fill in; examiners never reach the application.
    if not policy.may_view_participant_data(user, application):
        abort(404)
    form = ParticipantDataForm(formdata=request.form if request.method == "POST" else None)

    def page(conflict=None, status=200):
        saved = application.participant_data
        return render_template(
            "participants/participant_data.html",
            application=application,
            form=form,
            saved=saved,
            is_owner=application.applicant_id == user.id,
            editable=policy.may_edit_participant_data(user, application),
            sees_sensitive=policy.may_see_sensitive(user, application),
            conflict=conflict,
            GENDERS=GENDERS,
            STUDY_CYCLES=STUDY_CYCLES,
            country_name=country_name,
            isced_label=isced_label,
        ), status

    if request.method == "GET":
        form.fill_from(application.participant_data)
        return page()
    if not form.validate_on_submit() and form.csrf_token.errors:
        abort(400)

    def refused(error):
        # Rolled back: the form comes again with the version now stored, and what was typed.
        saved = application.participant_data
        form.version.data = saved.version if saved is not None else 0
        message = error.message if isinstance(error, Refused) else stale_participant_data_message()
        return page(conflict=message, status=409)

    web.when_refused(refused)
    # Not editable (any more) or changed since the form was opened: said before any field error.
    check_participant_data_editable(application, user, form.version.data)
    if form.errors:
        return page(status=400)
    save_participant_data(application, user, form.version.data, **form.participant_fields())
    flash(_("The participant data have been saved."), "success")
    return redirect(url_for("participants.participant_data", id=application.id))
