"""Confirming that a new account's e-mail address belongs to whoever registered it.

Registration mails a signed link naming the account and the address; opening it (and
confirming) marks the account verified. A link for an address the account no longer has
is void, so are links older than VERIFY_TOKEN_MAX_AGE. Until verified, an applicant may
prepare a draft but not submit it (irflow/workflow/guards.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .. import events
from ..extensions import db
from ..models import SecurityEvent, User
from ..models.base import utcnow
from ..services.mail import queue_for_user
from ..web.links import mailed_url

if TYPE_CHECKING:
    from datetime import datetime

# Its own salt: no other signed value of the application (session, CSRF, a reset link)
# passes for a verification link.
SALT = "irflow-verify-email"
LONGEST_TOKEN = 512


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(user: User) -> str:
    return _serializer().dumps({"user": user.id, "email": user.email})


def check_token(token: str) -> tuple[User | None, str | None]:
    """(the account the link confirms, None), or (None, why the link cannot be used)."""
    invalid = _("This link is not valid. Copy the whole link from the message, or ask for a new one.")
    if not token or len(token) > LONGEST_TOKEN:
        return None, invalid
    try:
        content = _serializer().loads(token, max_age=current_app.config["VERIFY_TOKEN_MAX_AGE"])
    except SignatureExpired:
        return None, _("This link has expired. Ask for a new one.")
    except BadSignature:
        return None, invalid
    if not isinstance(content, dict):
        return None, invalid
    user = db.session.get(User, content.get("user")) if isinstance(content.get("user"), int) else None
    # An address changed since the link was sent: the link confirmed the old one.
    if user is None or not user.active or user.email != content.get("email"):
        return None, invalid
    return user, None


def confirm(user: User, actor: User | None) -> None:
    """Mark `user`'s address as confirmed (once)."""
    if user.email_verified:
        return
    user.email_verified_at = utcnow()
    events.record("email_verified", actor=actor, user=user)


def send_link(user: User) -> None:
    """Queue the verification mail, in the user's language."""
    max_age = current_app.config["VERIFY_TOKEN_MAX_AGE"]
    queue_for_user(
        user,
        "emails/verify_email.txt",
        lambda: _("Confirm your e-mail address for irflow"),
        link=mailed_url("auth.verify_email", token=make_token(user)),
        valid_days=max(1, max_age // (24 * 3600)),
    )
    events.record("verification_link_sent", actor=user, user=user)


def seconds_until_resend(user: User, now: datetime | None = None) -> int:
    """How long `user` must wait before another link is sent (0: now)."""
    now = now or utcnow()
    interval = timedelta(seconds=current_app.config["VERIFY_RESEND_INTERVAL_SECONDS"])
    latest = db.session.scalar(
        sa.select(sa.func.max(SecurityEvent.created_at)).where(
            SecurityEvent.user_id == user.id,
            SecurityEvent.kind == "verification_link_sent",
            SecurityEvent.created_at > now - interval,
        )
    )
    if latest is None:
        return 0
    remaining = (latest + interval - now).total_seconds()
    return int(remaining + 0.999) if remaining > 0 else 0
