"""Public pages: open calls, the calls list, a call, programs and partners. No login needed;
only published calls and programs are shown (the head also sees unpublished calls)."""

from datetime import date

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import format_decimal, get_timezone
from flask_login import current_user

from ..bad_input import page_number
from ..countries import country_name
from ..extensions import db
from ..models import Call
from ..models.base import CRITERION_SOURCES, utcnow
from ..web.safety import local_path_or_none
from . import bp
from .forms import CallFilterForm, PartnerFilterForm
from .queries import (
    call_with_details,
    open_calls,
    open_calls_by_program,
    own_application_id,
    partner_countries,
    partners_query,
    programs_with_published_calls,
    published_programs,
    recently_closed_calls,
    upcoming_calls,
)

PARTNERS_PAGE_SIZE = 50


def call_status(call, now=None):
    """draft (not published), upcoming, open or closed."""
    now = now or utcnow()
    if not call.published:
        return "draft"
    if now < call.opens_at:
        return "upcoming"
    return "open" if now < call.closes_at else "closed"


def agreement_status(agreement, today=None):
    """in_force, expiring (within the warning window), expired or future; None without dates."""
    today = today or date.today()
    if agreement.valid_from and agreement.valid_from > today:
        return "future"
    if agreement.valid_until and agreement.valid_until < today:
        return "expired"
    if agreement.expires_soon(today):
        return "expiring"
    if agreement.valid_from or agreement.valid_until:
        return "in_force"
    return None


def _sees_unpublished(user):
    return getattr(user, "is_authenticated", False) and user.has_role("head")


@bp.context_processor
def helpers():
    return {
        "country_name": country_name,
        "format_decimal": format_decimal,
        "call_status": call_status,
        "agreement_status": agreement_status,
        "CRITERION_SOURCES": CRITERION_SOURCES,
        "user_timezone": lambda: str(get_timezone()),
    }


@bp.route("/")
def index():
    now = utcnow()
    calls = db.session.scalars(open_calls(now)).all()
    return render_template("calls/index.html", open_calls=calls, now=now)


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
    call = db.session.scalar(db.select(Call).where(Call.id == call_id).options(*call_with_details()))
    if call is None or not (call.published or _sees_unpublished(current_user)):
        abort(404)
    now = utcnow()
    admitted = current_user.is_authenticated and call.admits_category(current_user.category)
    return render_template(
        "calls/detail.html",
        call=call,
        now=now,
        is_open=call.is_open(now),
        admitted=admitted,
        own_application_id=own_application_id(call, current_user) if admitted else None,
    )


@bp.route("/programs")
def programs():
    listed = db.session.scalars(published_programs()).all()
    calls = open_calls_by_program([program.id for program in listed], utcnow())
    return render_template("calls/programs.html", programs=listed, open_calls=calls)


@bp.route("/partners")
def partners():
    form = PartnerFilterForm(partner_countries(), request.args)
    country, kind = form.filter_values()
    page = db.paginate(
        partners_query(country, kind),
        page=page_number(),
        per_page=PARTNERS_PAGE_SIZE,
        max_per_page=PARTNERS_PAGE_SIZE,
        error_out=False,
    )
    return render_template(
        "calls/partners.html",
        form=form,
        page=page,
        today=date.today(),
        filter_args={key: value for key, value in (("country", country), ("kind", kind)) if value},
    )


@bp.route("/locale", methods=["POST"])
def set_locale():
    """The language switcher: kept in the session, and saved for a logged-in user."""
    code = request.form.get("locale", "")
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(local_path_or_none(request.form.get("next")) or url_for("calls.index"))
