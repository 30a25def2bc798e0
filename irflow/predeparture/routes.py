"""The pre-departure checklist.

GET  /applications/<id>/checklist   the items with their due dates, documents and states;
POST /applications/<id>/checklist   one item done, not needed (with a reason) or to do again
GET  /checklists                    the coordinator's overview: who misses what

Who may do what is policy.py's; anyone else gets a 404, as for the application itself.
"""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from .. import web
from ..applications.policy import application_or_404
from ..errors import Refused
from ..extensions import db
from ..models import Application, CallPlace, Document, PredepartureItem
from ..models.base import utcnow
from ..models.predeparture import PREDEPARTURE_STATES, VISA_DECISIONS
from ..web.access import allowed_if
from . import bp, operations, policy
from .forms import ItemForm
from .items import ITEM_KINDS, PROVIDERS, lines_for, missing
from .reminders import department_today


def checklist_status(application, user):
    """What the application page's card shows to `user`, or None when it shows no card."""
    if not policy.may_view(user, application):
        return None
    lines = operations.checklist(application)
    return {"missing": missing(lines, abroad=application.state == "abroad"), "lines": lines}


def checklist_item_label(key):
    """An item's name for the application's history."""
    kind = ITEM_KINDS.get(key)
    return kind.label if kind is not None else key


# The card and the history of the application page (templates/applications/detail.html).
bp.add_app_template_global(checklist_status, "checklist_status")
bp.add_app_template_global(checklist_item_label, "checklist_item_label")


def _today():
    return department_today(utcnow())


@bp.route("/applications/<int:id>/checklist", methods=["GET", "POST"])
@login_required
def checklist(id):
    user = current_user._get_current_object()
    application = application_or_404(id, user)
    if not policy.may_view(user, application):
        abort(404)
    form = ItemForm(formdata=request.form if request.method == "POST" else None)

    def page(conflict=None, status=200, failed_item=None):
        return render_template(
            "predeparture/checklist.html",
            application=application,
            lines=operations.checklist(application),
            form=form,
            failed_item=failed_item,
            conflict=conflict,
            today=_today(),
            is_owner=policy.is_owner(user, application),
            is_staff=policy.is_staff(user, application),
            may_mark_done=lambda key: policy.may_mark_done(user, application, key),
            may_upload=bool(_uploadable(user, application)),
            PROVIDERS=PROVIDERS,
            STATES=PREDEPARTURE_STATES,
            VISA_DECISIONS=VISA_DECISIONS,
        ), status

    if request.method == "GET":
        return page()
    if not form.validate_on_submit() and form.csrf_token.errors:
        abort(400)
    key = form.item_key()
    if key is None:
        abort(404)
    action = form.action.data
    if action not in ("done", "not_needed", "todo"):
        abort(400)
    if action == "done" and not policy.may_mark_done(user, application, key):
        abort(403)
    if action != "done" and not policy.may_settle_otherwise(user, application):
        abort(403)
    if any(field.errors for field in form):
        return page(status=400, failed_item=key)
    if action == "done":
        fields = {
            "visa_appointment": form.visa_appointment.data,
            "visa_decision": form.visa_decision.data if form.visa_decision.data in VISA_DECISIONS else None,
            "covered_from": form.covered_from.data,
            "covered_to": form.covered_to.data,
        }
        problems = operations.done_problems(application, key, fields)
        if problems:
            for name, message in problems.items():
                if name in form:
                    form[name].errors = [str(message)]
            return page(conflict=problems.get("document"), status=400, failed_item=key)
    if action == "not_needed" and not (form.reason.data or "").strip():
        form.reason.errors = [_("Say why the item is not needed.")]
        return page(status=400, failed_item=key)

    web.when_refused(
        lambda error: page(
            conflict=error.message if isinstance(error, Refused) else operations.stale_message(),
            status=409,
            failed_item=key,
        )
    )
    if action == "done":
        operations.mark_done(application, user, key, form.version.data, **fields)
        flash(_("The item is done."), "success")
    elif action == "not_needed":
        operations.mark_not_needed(application, user, key, form.version.data, form.reason.data)
        flash(_("The item is marked as not needed."), "success")
    else:
        operations.reopen(application, user, key, form.version.data)
        flash(_("The item is to do again."), "success")
    return redirect(url_for("predeparture.checklist", id=application.id, _anchor=f"item-{key}"))


def _uploadable(user, application):
    from ..applications.policy import uploadable_kinds

    return uploadable_kinds(user, application)


@bp.route("/checklists")
@allowed_if(policy.may_see_overview)
def overview():
    """Who misses what, across the user's faculties: three statements whatever the rows."""
    user = current_user._get_current_object()
    applications = (
        db.session.scalars(
            sa.select(Application)
            .where(policy.overview_filter(user))
            .options(
                joinedload(Application.applicant),
                joinedload(Application.call),
                joinedload(Application.faculty),
                joinedload(Application.allocated_place).joinedload(CallPlace.partner),
            )
            .order_by(Application.planned_start, Application.id)
        )
        .unique()
        .all()
    )
    ids = [application.id for application in applications]
    records, documents = {}, {}
    if ids:
        for record in db.session.scalars(sa.select(PredepartureItem).where(PredepartureItem.application_id.in_(ids))):
            records.setdefault(record.application_id, []).append(record)
        for document in db.session.scalars(
            sa.select(Document).where(Document.application_id.in_(ids), Document.deleted_at.is_(None))
        ):
            documents.setdefault(document.application_id, []).append(document)
    today = _today()
    rows = []
    for application in applications:
        lines = lines_for(application, records.get(application.id, []), documents.get(application.id, []))
        rows.append((application, missing(lines, abroad=application.state == "abroad")))
    return render_template("predeparture/overview.html", rows=rows, today=today, PROVIDERS=PROVIDERS)
