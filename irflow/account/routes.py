"""The user's own account.

GET/POST /account/            account.profile
GET/POST /account/password    account.password
GET      /account/sessions    account.sessions
POST     /account/sessions/end-others    account.end_other_sessions
GET      /account/data        account.data (what the download holds)
POST     /account/data        account.download_data (the ZIP)
"""

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import web
from ..auth import sessions as login_sessions
from ..auth.operations import FormRefused
from ..extensions import db
from ..models import Faculty
from ..web import EmptyForm
from ..web.access import gate_blueprint
from ..web.errors import changed_by_someone_else_message
from . import bp, operations, policy
from .forms import DEFAULT_TIMEZONE, PasswordChangeForm, ProfileForm
from .sessions_view import describe_browser

gate_blueprint(bp, policy.may_use_account_pages)


def _user():
    return current_user._get_current_object()


def _client_address():
    return request.remote_addr or "unknown"


def _faculties():
    return db.session.scalars(db.select(Faculty).order_by(Faculty.name)).all()


@bp.route("/", methods=["GET", "POST"])
def profile():
    user = _user()
    faculty_and_category_open = policy.may_change_faculty_and_category(user)
    form = ProfileForm(_faculties(), user.timezone, faculty_and_category_open, obj=user)
    if request.method == "GET":
        form.timezone.data = user.timezone or DEFAULT_TIMEZONE
        # No language chosen yet: offer the one the pages are in, so saving keeps it.
        form.locale.data = user.locale or str(get_locale())

    def page(status=200):
        return render_template(
            "account/profile.html", form=form, account=user, faculty_and_category_open=faculty_and_category_open
        ), status

    if form.validate_on_submit():
        web.back_to(url_for("account.profile"))
        change = operations.ProfileChange(
            full_name_native=form.full_name_native.data,
            full_name_latin=form.full_name_latin.data,
            phone=form.phone.data,
            locale=form.locale.data,
            timezone=form.timezone.data,
            faculty_id=form.faculty_id.data if faculty_and_category_open else None,
            category=form.category.data if faculty_and_category_open else None,
        )
        changed = operations.update_profile(user, change)
        flash(_("Your profile has been saved.") if changed else _("Nothing was changed."), "success")
        return redirect(url_for("account.profile"))
    return page(400 if request.method == "POST" else 200)


@bp.route("/password", methods=["GET", "POST"])
def password():
    user = _user()
    form = PasswordChangeForm(user.email)
    if form.validate_on_submit():

        def form_again(error):
            if not isinstance(error, FormRefused):
                flash(changed_by_someone_else_message(), "warning")
                return render_template("account/password.html", form=form), 409
            form.current_password.errors.append(error.message)
            return render_template("account/password.html", form=form), error.status

        web.when_refused(form_again)
        ended = operations.change_password(
            user, form.current_password.data, form.new_password.data, user.get_id(), _client_address()
        )
        flash(_("Your password has been changed."), "success")
        if ended:
            flash(_("You have been signed out on your other browsers and devices."), "info")
        return redirect(url_for("account.profile"))
    status = 400 if request.method == "POST" else 200
    return render_template("account/password.html", form=form), status


@bp.route("/sessions")
def sessions():
    user = _user()
    token = user.get_id()
    rows = [
        {
            "started": record.created_at,
            "last_seen": record.last_seen_at,
            "browser": describe_browser(record.user_agent),
            "address": record.address,
            "current": login_sessions.is_session_of(record, token),
        }
        for record in login_sessions.live_sessions(user)
    ]
    others = sum(1 for row in rows if not row["current"])
    return render_template("account/sessions.html", rows=rows, others=others)


@bp.route("/sessions/end-others", methods=["POST"])
def end_other_sessions():
    web.back_to(url_for("account.sessions"))
    if not EmptyForm().validate_on_submit():
        abort(400)
    ended = operations.sign_out_elsewhere(_user(), _user().get_id())
    if ended:
        flash(_("You have been signed out on your other browsers and devices."), "success")
    else:
        flash(_("You were not signed in anywhere else."), "info")
    return redirect(url_for("account.sessions"))


@bp.route("/data")
def data():
    return render_template("account/data.html")


@bp.route("/data", methods=["POST"])
def download_data():
    web.back_to(url_for("account.data"))
    if not EmptyForm().validate_on_submit():
        abort(400)
    archive = operations.personal_data_archive(_user())
    response = Response(
        _chunks(archive.file),
        mimetype="application/zip",
        headers={
            # Digits and fixed words only: no quoting or encoding needed.
            "Content-Disposition": f'attachment; filename="irflow-my-data-{date.today():%Y-%m-%d}.zip"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
    response.content_length = archive.size
    response.call_on_close(archive.file.close)
    return response


def _chunks(file, size=64 * 1024):
    while chunk := file.read(size):
        yield chunk
