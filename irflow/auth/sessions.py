"""Logins kept on the server (UserSession rows), with idle and absolute time limits.

Flask-Login's user id, stored in the session cookie and in the remember cookie, is the
token of one login. A cookie whose login has ended (logout, password change, deactivation)
or run out of time loads nobody, even if it was copied before.
"""

import unicodedata
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, request
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models import User, UserSession
from ..models.base import utcnow
from ..models.user_session import hash_session_token, new_session_token
from .passwords import hash_password

# last_seen_at is written at most this often: not a database write on every request.
LAST_SEEN_RESOLUTION = timedelta(seconds=60)


def limits_for(user):
    """(idle timeout, absolute lifetime) of a login of `user`, from the configuration."""
    config = current_app.config
    prefix = "STAFF" if user.is_staff else "APPLICANT"
    return (
        timedelta(minutes=config[f"{prefix}_SESSION_IDLE_MINUTES"]),
        timedelta(hours=config[f"{prefix}_SESSION_MAX_HOURS"]),
    )


def may_remember(user):
    # Staff sessions end with the browser: a shared office computer must not keep them.
    return not user.is_staff


def _printable(text, length):
    """`text` without control characters (PostgreSQL refuses NUL in text), cut to `length`."""
    kept = "".join(character for character in (text or "") if unicodedata.category(character) != "Cc")
    return kept.strip()[:length] or None


def start_session(user, remember=False, user_agent=None, address=None):
    """Record a new login of `user` and return its token (the cookies' user id)."""
    token = new_session_token()
    # Both come from the request's headers: whatever the client sent.
    db.session.add(
        UserSession(
            token_hash=hash_session_token(token),
            user=user,
            remember=remember,
            user_agent=_printable(user_agent, 255),
            address=_printable(address, 45),
        )
    )
    user.login_token = token
    return token


def start_request_session(user, remember, address):
    return start_session(user, remember=remember, user_agent=request.headers.get("User-Agent"), address=address)


def _is_expired(record, user, now):
    idle, lifetime = limits_for(user)
    return now - record.last_seen_at > idle or now - record.created_at > lifetime


def load_user(token, now=None):
    """The active user whose live login has this token, or None (Flask-Login's user_loader)."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    # One query for both: this runs on every request of a logged-in user.
    row = db.session.execute(
        sa.select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == hash_session_token(token), UserSession.ended_at.is_(None))
    ).first()
    if row is None:
        return None
    record, user = row
    if not user.active or _is_expired(record, user, now):
        return None
    if now - record.last_seen_at >= LAST_SEEN_RESOLUTION:
        _write_last_seen(record, now)
    user.login_token = token
    return user


def _write_last_seen(record, now):
    """Write last_seen_at on a connection of its own, committed at once.

    The user may first be loaded halfway through a view: committing the request's session
    here would commit its work early and release its row locks (SELECT ... FOR UPDATE)."""
    if _holds_sqlite_write_lock():
        return  # a second connection would wait for this one; the next request writes it
    with db.engine.begin() as connection:
        # SKIP LOCKED (PostgreSQL): never wait on a lock of this row, even the request's own.
        connection.execute(
            sa.update(UserSession)
            .where(
                UserSession.id.in_(
                    sa.select(UserSession.id).where(UserSession.id == record.id).with_for_update(skip_locked=True)
                )
            )
            .values(last_seen_at=now)
        )
    set_committed_value(record, "last_seen_at", now)


def _holds_sqlite_write_lock():
    # SQLite locks the whole file from the first write of a transaction until its end;
    # before any write the driver has not even begun one.
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return False
    return connection.connection.dbapi_connection.in_transaction


def end_session(token, reason):
    """End the login with this token (logout)."""
    if not token:
        return
    record = db.session.scalar(sa.select(UserSession).where(UserSession.token_hash == hash_session_token(token)))
    if record is not None:
        record.end(reason)


def end_all_sessions(user, reason):
    """End every login of `user` (deactivation, password change): every browser is logged out.
    Returns how many were still open."""
    result = db.session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def live_sessions(user, now=None):
    """The logins of `user` that can still load (not ended, within their time limits), the
    most recently seen first."""
    now = now or utcnow()
    records = db.session.scalars(
        sa.select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).all()
    return [record for record in records if not _is_expired(record, user, now)]


def end_other_sessions(user, keep_token, reason):
    """End every login of `user` but the one with `keep_token` (the browser asking stays
    logged in); returns how many were ended."""
    result = db.session.execute(
        sa.update(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.ended_at.is_(None),
            UserSession.token_hash != hash_session_token(keep_token or ""),
        )
        .values(ended_at=utcnow(), end_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def is_session_of(record, token):
    return bool(token) and record.token_hash == hash_session_token(token)


def change_password(user, new_password):
    """Set a new password and end every login made with the old one."""
    user.password_hash = hash_password(new_password)
    end_all_sessions(user, "password_change")


def forget_old_sessions(user_id=None):
    """Drop logins ended or started longer ago than any lifetime allows (they can never load)."""
    config = current_app.config
    longest = timedelta(hours=max(config["APPLICANT_SESSION_MAX_HOURS"], config["STAFF_SESSION_MAX_HOURS"]))
    cutoff = utcnow() - longest
    condition = sa.or_(UserSession.created_at < cutoff, UserSession.ended_at < cutoff)
    if user_id is not None:
        condition = sa.and_(UserSession.user_id == user_id, condition)
    db.session.execute(sa.delete(UserSession).where(condition).execution_options(synchronize_session=False))


__all__ = [
    "change_password",
    "end_all_sessions",
    "end_other_sessions",
    "end_session",
    "is_session_of",
    "forget_old_sessions",
    "limits_for",
    "live_sessions",
    "load_user",
    "may_remember",
    "start_request_session",
    "start_session",
]
