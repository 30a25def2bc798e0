"""Users whose roles require two-factor (REQUIRE_2FA_ROLES) and who have not set it up are
sent to the set-up page before any other page. They may still log out, change the language
and load static files."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import second_factor
from . import bp, policy

ALWAYS_OPEN = frozenset({"two_factor.setup", "auth.logout", "calls.set_locale", "static"})


@bp.before_app_request
def send_to_setup():
    if request.endpoint in ALWAYS_OPEN or request.endpoint is None:
        return None
    user = current_user
    if not policy.is_required_for(user) or second_factor.is_enabled(user):
        return None
    flash(_("Your role requires two-factor authentication. Set it up to continue."), "warning")
    return redirect(url_for("two_factor.setup"))
