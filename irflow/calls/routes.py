"""Public pages: open calls, the calls list, a call. No login needed; only published calls
are shown (the head also opens unpublished ones: irflow/calls/policy.py)."""

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from ..extensions import db
from ..models.base import CRITERION_SOURCES, utcnow
from ..web.safety import local_path_or_none
from . import bp
from .forms import CallFilterForm
from .policy import may_apply, staff_links
from .queries import (
    open_calls,
    own_application_id,
    programs_with_published_calls,
    recently_closed_calls,
    upcoming_calls,
    visible_call,
)


@bp.app_template_global()
def call_status(call, now=None):
    """draft (not published), upcoming, open or closed."""
    now = now or utcnow()
    if not call.published:
        return "draft"
    if now < call.opens_at:
        return "upcoming"
    return "open" if now < call.closes_at else "closed"


@bp.route("/")
def index():
    now = utcnow()
    calls = db.session.scalars(open_calls(now)).all()
    return render_template(
        "calls/index.html",
        open_calls=calls,
        now=now,
        admitted={call.id for call in calls if may_apply(current_user, call)},
    )


@bp.route("/calls/", endpoint="list")
def list_calls():
    now = utcnow()
    form = CallFilterForm(db.session.scalars(programs_with_published_calls()).all(), request.args)
    program_id, mobility_type = form.filter_values()
    sections = [
        ("open", db.session.scalars(open_calls(now, program_id, mobility_type)).all()),
        ("upcoming", db.session.scalars(upcoming_calls(now, program_id, mobility_type)).all()),
        ("closed", db.session.scalars(recently_closed_calls(now, program_id, mobility_type)).all()),
    ]
    return render_template(
        "calls/list.html",
        form=form,
        sections=sections,
        now=now,
        filtered=program_id is not None or mobility_type is not None,
    )


@bp.route("/calls/<int:call_id>")
def detail(call_id):
    call = visible_call(call_id, current_user)
    if call is None:
        abort(404)
    now = utcnow()
    admitted = may_apply(current_user, call)
    return render_template(
        "calls/detail.html",
        call=call,
        now=now,
        status=call_status(call, now),
        is_open=call.is_open(now),
        admitted=admitted,
        own_application_id=own_application_id(call, current_user) if admitted else None,
        links=staff_links(current_user, call),
        criterion_sources=CRITERION_SOURCES,
    )


@bp.route("/locale", methods=["POST"])
def set_locale():
    """The language switcher: kept in the session, and saved for a logged-in user."""
    code = request.form.get("locale", "")
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
    return redirect(local_path_or_none(request.form.get("next")) or url_for("calls.index"))
