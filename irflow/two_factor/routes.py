from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import web
from ..auth import second_factor
from ..errors import Refused
from ..web.errors import changed_by_someone_else_message
from . import bp, operations, policy
from .forms import CodeForm


def _client_address():
    # Behind proxies, TRUSTED_PROXIES makes ProxyFix put the client's address here.
    return request.remote_addr or "unknown"


def _show_again(page):
    """On a wrong code, `page(message)` again with the reason beside the code field; any other
    refusal (two-factor turned off meanwhile, ...) is a message on the overview."""

    def answer(error):
        if isinstance(error, operations.CodeRefused):
            return page(error.message), error.status
        flash(error.message if isinstance(error, Refused) else changed_by_someone_else_message(), "danger")
        return redirect(url_for("two_factor.index"))

    return answer


def _with_error(form, message):
    form.code.errors = [*form.code.errors, message]
    return form


def _overview(disable_form=None, renew_form=None):
    user = current_user
    credential = second_factor.credential_of(user)
    enabled = credential is not None and credential.enabled
    return render_template(
        "two_factor/index.html",
        enabled=enabled,
        enabled_at=credential.enabled_at if enabled else None,
        codes_left=second_factor.recovery_codes_left(user) if enabled else 0,
        may_disable=policy.may_disable(user),
        required=policy.is_required_for(user),
        disable_form=disable_form or CodeForm(prefix="disable"),
        renew_form=renew_form or CodeForm(prefix="renew"),
    )


def _setup_page(form, secret):
    return render_template(
        "two_factor/setup.html",
        form=form,
        secret=secret,
        qr_code=second_factor.qr_code_svg(secret, current_user, _("QR code for your authenticator app")),
        required=policy.is_required_for(current_user),
    )


@bp.route("/")
@web.allowed_if(policy.may_manage)
def index():
    return _overview()


@bp.route("/setup", methods=["GET", "POST"])
@web.allowed_if(policy.may_manage)
def setup():
    if second_factor.is_enabled(current_user):
        return redirect(url_for("two_factor.index"))
    form = CodeForm()
    secret = operations.pending_secret(current_user, current_user.get_id())
    if form.validate_on_submit():
        web.when_refused(_show_again(lambda message: _setup_page(_with_error(form, message), secret)))
        codes = operations.confirm_setup(current_user, form.code.data, current_user.get_id())
        # Shown in this response only: they are stored hashed and never shown again.
        return render_template("two_factor/recovery_codes.html", codes=codes, just_enabled=True)
    status = 400 if request.method == "POST" else 200
    return _setup_page(form, secret), status


@bp.route("/disable", methods=["POST"])
@web.allowed_if(policy.may_manage)
def disable():
    form = CodeForm(prefix="disable")
    if not form.validate_on_submit():
        return _overview(disable_form=form), 400
    web.when_refused(_show_again(lambda message: _overview(disable_form=_with_error(form, message))))
    operations.disable(current_user, form.code.data, _client_address())
    flash(_("Two-factor authentication is off."), "info")
    return redirect(url_for("two_factor.index"))


@bp.route("/recovery-codes", methods=["POST"])
@web.allowed_if(policy.may_manage)
def renew_recovery_codes():
    form = CodeForm(prefix="renew")
    if not form.validate_on_submit():
        return _overview(renew_form=form), 400
    web.when_refused(_show_again(lambda message: _overview(renew_form=_with_error(form, message))))
    codes = operations.renew_recovery_codes(current_user, form.code.data, _client_address())
    return render_template("two_factor/recovery_codes.html", codes=codes, just_enabled=False)
