"""Forgotten passwords: reset links, their throttle, and setting a new password.

A link carries a token signed with the app's secret (a salt of its own), holding the user's
id and a fingerprint of the current password hash: it expires after RESET_TOKEN_MAX_AGE
seconds and dies as soon as the password changes, so a used link cannot be used again.

Asking for a link answers the same whether or not the e-mail belongs to an account, and does
the same work either way (a token signed, the mail rendered), so neither the page nor its
timing tells a stranger which addresses exist.

Nothing here commits: the request (or the command) is the unit of work.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .. import events
from ..errors import Refused
from ..extensions import db
from ..i18n import force_timezone
from ..models import PasswordResetRequest, User
from ..models.base import utcnow
from ..services.mail import queue_for_user
from ..web.links import mailed_url
from .passwords import hash_password
from .sessions import end_all_sessions

_SALT = "irflow-password-reset"
_TEMPLATE = "emails/password_reset.txt"
# Stands in for the account of an unknown e-mail, so its request costs the same work.
_NOBODY_ID = 0
REQUESTS_PER_HOUR_PER_ACCOUNT = 5
REQUESTS_PER_HOUR_PER_ADDRESS = 20


class ResetLinkInvalid(Refused):
    """The link was tampered with or cut (400), or has expired, been used, or outlived its
    password (410): the page says so and offers a new one."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def _fingerprint(password_hash: str) -> str:
    # A digest of the hash (which carries its own random salt): the token shows nothing of it.
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:20]


def make_token(user: User) -> str:
    return _serializer().dumps({"user": user.id, "fingerprint": _fingerprint(user.password_hash)})


def max_age_minutes() -> int:
    return max(1, current_app.config["RESET_TOKEN_MAX_AGE"] // 60)


def user_for_token(token: str, lock: bool = False) -> User:
    """The account this link may set a password for, or ResetLinkInvalid. `lock`: hold the
    account's row (PostgreSQL) so two submits of one link cannot both use it."""
    try:
        data = _serializer().loads(token, max_age=current_app.config["RESET_TOKEN_MAX_AGE"])
    except SignatureExpired:
        raise ResetLinkInvalid(_("This password reset link has expired."), 410) from None
    except BadSignature:
        raise ResetLinkInvalid(
            _("This password reset link is not valid. Check that it was copied whole."), 400
        ) from None
    user_id = data.get("user") if isinstance(data, dict) else None
    query = sa.select(User).where(User.id == user_id) if isinstance(user_id, int) else None
    user = None
    if query is not None:
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        user = db.session.scalar(query)
    if user is None or not user.active or data.get("fingerprint") != _fingerprint(user.password_hash):
        raise ResetLinkInvalid(
            _("This password reset link has already been used, or the password has changed since it was sent."), 410
        )
    return user


def _queue_mail(user: User, actor: User | None) -> None:
    queue_for_user(
        user,
        _TEMPLATE,
        lambda: _("Reset your irflow password"),
        link=mailed_url("auth.reset_password", token=make_token(user)),
        minutes=max_age_minutes(),
        sent_by_admin=actor is not None,
    )


def _render_unsent_mail() -> None:
    """What _queue_mail costs, for an e-mail of no account; nothing is kept."""
    token = _serializer().dumps({"user": _NOBODY_ID, "fingerprint": _fingerprint("")})
    locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    stand_in = User(email="", full_name_latin="", full_name_native="", locale=locale)
    with force_locale(stand_in.locale), force_timezone(current_app.config["BABEL_DEFAULT_TIMEZONE"]):
        render_template(
            _TEMPLATE,
            recipient=stand_in,
            link=mailed_url("auth.reset_password", token=token),
            minutes=max_age_minutes(),
            sent_by_admin=False,
        )


def _recent_requests(since, condition) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(PasswordResetRequest.id)).where(PasswordResetRequest.created_at >= since, condition)
    )


def _throttled(email: str, address: str, now) -> bool:
    since = now - timedelta(hours=1)
    return (
        _recent_requests(since, PasswordResetRequest.email == email) >= REQUESTS_PER_HOUR_PER_ACCOUNT
        or _recent_requests(since, PasswordResetRequest.address == address) >= REQUESTS_PER_HOUR_PER_ADDRESS
    )


def request_reset(email: str, address: str) -> None:
    """Mail a reset link to the account with `email`, if there is an active one and the
    throttle allows. The caller shows the same message whatever happened."""
    now = utcnow()
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if _throttled(email, address, now):
        # Refused requests are not counted: hammering does not keep the owner out longer.
        events.record(
            "password_reset_requested", user=user, email=_typed_if_nobody(user, email), details={"refused": "throttled"}
        )
        return
    # Rows older than the longest window count for nothing; drop them so the table stays small.
    db.session.execute(sa.delete(PasswordResetRequest).where(PasswordResetRequest.created_at < now - timedelta(days=1)))
    db.session.add(PasswordResetRequest(email=email, address=address, created_at=now))
    if user is not None and user.active:
        _queue_mail(user, actor=None)
    else:
        _render_unsent_mail()
    events.record(
        "password_reset_requested",
        user=user,
        email=_typed_if_nobody(user, email),
        details={} if user is not None and user.active else {"sent": False},
    )


def _typed_if_nobody(user: User | None, email: str) -> str | None:
    # A known account is named by its id, an unknown one by the digest events.record makes of
    # what was typed: the log keeps no address a purge could not remove.
    return email if user is None else None


def send_reset_link(actor: User, account: User) -> None:
    """An administrator mails `account` a reset link (not throttled: the admin is known)."""
    if not account.active:
        raise Refused(_("This account is deactivated: reactivate it before sending a reset link."))
    _queue_mail(account, actor=actor)
    events.record("password_reset_requested", actor=actor, user=account)


def set_new_password(user: User, new_password: str, actor: User | None = None, via: str = "link") -> int:
    """Set `user`'s password and end every login of theirs; returns how many were ended."""
    user.password_hash = hash_password(new_password)
    ended = end_all_sessions(user, "password_reset")
    events.record("password_reset", actor=actor, user=user, details={"via": via, "sessions_ended": ended})
    return ended


def reset_with_token(token: str, new_password: str) -> User:
    """Use the link: a new password, every login ended. ResetLinkInvalid if the link is no good."""
    user = user_for_token(token, lock=True)
    set_new_password(user, new_password)
    return user
