from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import web
from ..extensions import db
from ..models import Faculty
from ..web.errors import changed_by_someone_else_message
from . import bp, operations, password_reset, verification
from .forms import ForgotPasswordForm, LoginForm, NewPasswordForm, RegistrationForm, SecondStepForm


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
        logged_in = operations.authenticate(
            form.email.data, form.password.data, form.remember.data, _client_address(), form.next.data
        )
        if not logged_in:
            return redirect(url_for("auth.second_step"))
        return redirect(_after_login_url(form.next.data))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/two-factor", methods=["GET", "POST"])
def second_step():
    """The second step of a login whose account has two-factor on: a code or a recovery code."""
    if current_user.is_authenticated:
        return redirect(url_for("calls.index"))
    form = SecondStepForm()
    if form.validate_on_submit():
        web.when_refused(_form_again("auth/second_step.html", form))
        next_url = operations.complete_second_step(form.code.data, _client_address())
        if next_url is not None:
            return redirect(_after_login_url(next_url))
    elif request.method == "GET" and operations.second_step_pending():
        return render_template("auth/second_step.html", form=form)
    elif request.method == "POST":
        return render_template("auth/second_step.html", form=form), 400
    flash(_("Your login has expired. Log in again."), "warning")
    return redirect(url_for("auth.login"))


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
            privacy_consent=form.privacy_consent.data,
        )
        # The same answer whether or not the address had an account (its owner gets a mail):
        # nobody is logged in, or a login would tell which addresses were free.
        operations.register(registration, _client_address())
        session["locale"] = registration.locale  # the login page in the language just chosen
        flash(
            _(
                "Check your mailbox: we sent a message to %(email)s. Open the link in it to confirm your address, "
                "then log in.",
                email=registration.email,
            ),
            "success",
        )
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify_email(token):
    """The link mailed at registration. Opening it shows a button; the POST confirms, so a
    mail scanner fetching the link changes nothing."""
    user, problem = verification.check_token(token)
    if problem is not None:
        return render_template("auth/verify_invalid.html", problem=problem), 400
    if request.method == "POST" and not user.email_verified:
        operations.confirm_email(user, current_user if current_user.is_authenticated else None)
        flash(_("Thank you: your e-mail address is confirmed. You can now submit your applications."), "success")
        return redirect(url_for("applications.index") if current_user == user else url_for("auth.login"))
    return render_template("auth/verify.html", user=user, token=token)


@bp.route("/verify/resend", methods=["POST"])
@login_required
def resend_verification():
    # CSRFProtect has checked the token already.
    back = web.local_path_or_none(request.form.get("next")) or url_for("applications.index")
    web.back_to(back)
    if current_user.email_verified:
        flash(_("Your e-mail address is already confirmed."), "info")
    else:
        operations.resend_verification(current_user)
        flash(_("We have sent a new link to %(email)s.", email=current_user.email), "success")
    return redirect(back)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # CSRFProtect has already checked the token: a forged logout is refused.
    operations.log_out(current_user._get_current_object(), current_user.get_id())
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        password_reset.request_reset(form.email.data, _client_address())
        # The same words whatever happened: whether an account exists is not told here.
        flash(
            _(
                "If an account with this e-mail exists, a link to choose a new password is on its way. "
                "Check your mail, including the spam folder."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/forgot_password.html", form=form), status


def _reset_link_refused(error):
    if not isinstance(error, password_reset.ResetLinkInvalid):  # a conflict found at the commit
        flash(changed_by_someone_else_message(), "warning")
        return redirect(request.url)
    return render_template("auth/reset_link_invalid.html", message=error.message), error.status


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    web.when_refused(_reset_link_refused)
    account = password_reset.user_for_token(token)
    form = NewPasswordForm(account.email)
    if form.validate_on_submit():
        password_reset.reset_with_token(token, form.password.data)
        flash(_("Your new password is set, and every earlier login has ended. Log in with it."), "success")
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/reset_password.html", form=form, account=account), status
