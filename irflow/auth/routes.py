from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Faculty, User
from ..models.base import utcnow
from ..web.safety import local_path_or_none
from . import bp, known_devices, sessions, throttle
from .forms import LoginForm, RegistrationForm
from .passwords import hash_password, spend_verification_time, verify_password


def _client_address():
    # Behind proxies, TRUSTED_PROXIES makes ProxyFix put the client's address here.
    return request.remote_addr or "unknown"


def _log_in(user, remember, address):
    session.clear()  # a fresh session: no fixation
    remember = remember and sessions.may_remember(user)
    sessions.forget_old_sessions(user.id)
    sessions.start_request_session(user, remember, address)
    db.session.commit()
    login_user(user, remember=remember)
    known_devices.remember(user)


def _after_login_url(target):
    return local_path_or_none(target) or url_for("calls.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("calls.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        email, address = form.email.data, _client_address()
        user = db.session.scalar(db.select(User).where(User.email == email))
        wait = throttle.seconds_to_wait(email, address, known_device=known_devices.recognizes(user))
        if wait:
            # Refused before the password is even looked at: guessing gains nothing.
            form.password.errors.append(
                _("Too many failed attempts. Wait %(seconds)s seconds and try again.", seconds=wait)
            )
            status = 429
        else:
            if user is None:
                spend_verification_time(form.password.data)
            if user is not None and verify_password(user, form.password.data):
                if not user.active:
                    form.email.errors.append(_("This account has been deactivated. Contact the department."))
                    db.session.commit()
                    status = 403
                else:
                    throttle.clear_failures(email, address)
                    user.last_login_at = utcnow()
                    _log_in(user, form.remember.data, address)
                    return redirect(_after_login_url(form.next.data))
            else:
                throttle.record_failure(email, address)
                db.session.commit()
                form.password.errors.append(_("Wrong e-mail or password."))
                status = 401
    elif request.method == "POST":
        status = 400
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
        if db.session.scalar(db.select(User.id).where(User.email == form.email.data)) is not None:
            form.email.errors.append(_("An account with this e-mail already exists. Log in instead."))
        else:
            user = User(
                email=form.email.data,
                password_hash=hash_password(form.password.data),
                full_name_native=form.full_name_native.data.strip(),
                full_name_latin=form.full_name_latin.data.strip(),
                category=form.category.data,
                faculty_id=form.faculty_id.data,
                phone=(form.phone.data or "").strip() or None,
                locale=form.locale.data,
            )
            db.session.add(user)
            try:
                db.session.commit()
            except IntegrityError:  # the same e-mail registered a moment ago
                db.session.rollback()
                form.email.errors.append(_("An account with this e-mail already exists. Log in instead."))
                return render_template("auth/register.html", form=form), 400
            _log_in(user, False, _client_address())
            flash(_("Welcome to irflow. Your account is ready."), "success")
            return redirect(url_for("calls.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # CSRFProtect has already checked the token: a forged logout is refused.
    sessions.end_session(current_user.get_id(), "logout")
    db.session.commit()
    # Clear first: logout_user() leaves the mark that deletes the remember cookie.
    session.clear()
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))
