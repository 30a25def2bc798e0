"""An account's logins and password, seen by an administrator: send a reset link, end one
login or all of them. Shown on the user page (admin/user.html)."""

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .. import web
from ..auth import password_reset
from ..auth.sessions import live_sessions
from ..extensions import db
from ..models import User
from ..models.user_session import hash_session_token
from . import bp, operations


def user_page_context(account):
    """What the user page shows of `account`'s logins; the administrator's own is marked."""
    sessions = live_sessions(account)
    own_token_hash = hash_session_token(current_user.get_id() or "")
    return {
        "live_sessions": sessions,
        "own_session_id": next((record.id for record in sessions if record.token_hash == own_token_hash), None),
    }


def _account(user_id):
    account = db.get_or_404(User, user_id)
    web.back_to(url_for("admin.user", user_id=account.id))
    return account


@bp.route("/users/<int:user_id>/password-reset", methods=["POST"])
@web.role_required("admin")
def send_password_reset(user_id):
    account = _account(user_id)
    if not web.EmptyForm().validate_on_submit():
        abort(400)
    password_reset.send_reset_link(current_user, account)
    flash(_("A password reset link has been sent to %(email)s.", email=account.email), "success")
    return redirect(url_for("admin.user", user_id=account.id))


@bp.route("/users/<int:user_id>/sessions/<int:session_id>/end", methods=["POST"])
@web.role_required("admin")
def end_session(user_id, session_id):
    account = _account(user_id)
    if not web.EmptyForm().validate_on_submit():
        abort(400)
    operations.end_login(current_user, account, session_id)
    flash(_("That login of %(name)s has ended.", name=account.full_name_latin), "success")
    return redirect(url_for("admin.user", user_id=account.id))


@bp.route("/users/<int:user_id>/sessions/end", methods=["POST"])
@web.role_required("admin")
def end_all_sessions(user_id):
    account = _account(user_id)
    if not web.EmptyForm().validate_on_submit():
        abort(400)
    ended = operations.end_all_logins(current_user, account)
    flash(
        ngettext(
            "%(num)d login of %(name)s has ended.",
            "%(num)d logins of %(name)s have ended.",
            ended,
            name=account.full_name_latin,
        ),
        "success",
    )
    return redirect(url_for("admin.user", user_id=account.id))
