from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import web
from ..extensions import db
from ..models import Faculty
from ..web.errors import changed_by_someone_else_message
from . import bp, operations
from .forms import LoginForm, RegistrationForm


def _client_address():
    # Behind proxies, TRUSTED_PROXIES makes ProxyFix put the client's address here.
    return request.remote_addr or "unknown"


def _after_login_url(target):
    return web.local_path_or_none(target) or url_for("calls.index")


def _form_again(template, form):
    """On a refusal, the form shown again with what was typed and the reason beside its field."""

    def page(error):
        if not isinstance(error, operations.FormRefused):  # a conflict found at the commit
            flash(changed_by_someone_else_message(), "warning")
            return render_template(template, form=form), 409
        getattr(form, error.field).errors.append(error.message)
        return render_template(template, form=form), error.status

    return page


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("calls.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        web.when_refused(_form_again("auth/login.html", form))
        operations.authenticate(form.email.data, form.password.data, form.remember.data, _client_address())
        return redirect(_after_login_url(form.next.data))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("calls.index"))
    faculties = db.session.scalars(db.select(Faculty).order_by(Faculty.name)).all()
    form = RegistrationForm(faculties)
    if request.method == "GET":
        form.locale.data = (
            session.get("locale")
            or request.accept_languages.best_match(current_app.config["LANGUAGES"])
            or current_app.config["BABEL_DEFAULT_LOCALE"]
        )
    if form.validate_on_submit():
        web.when_refused(_form_again("auth/register.html", form))
        registration = operations.Registration(
            email=form.email.data,
            password=form.password.data,
            full_name_native=form.full_name_native.data,
            full_name_latin=form.full_name_latin.data,
            category=form.category.data,
            faculty_id=form.faculty_id.data,
            phone=form.phone.data,
            locale=form.locale.data,
        )
        operations.register(registration, _client_address())
        flash(_("Welcome to irflow. Your account is ready."), "success")
        return redirect(url_for("calls.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # CSRFProtect has already checked the token: a forged logout is refused.
    operations.log_out(current_user._get_current_object(), current_user.get_id())
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))
