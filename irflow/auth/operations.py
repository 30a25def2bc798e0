"""Logging in and out, registering, the language switch: the use cases of the auth pages.

Nothing here commits: the request is the unit of work (irflow/web/unit_of_work.py). A
refused login or registration raises a `Refused` naming the form field its message
belongs to, so the page can show the form again with what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app, session
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from sqlalchemy.exc import IntegrityError

from .. import events
from ..errors import Refused
from ..extensions import db
from ..models import User
from ..models.base import utcnow
from . import known_devices, sessions, throttle
from .passwords import hash_password, spend_verification_time, verify_password

if TYPE_CHECKING:
    from collections.abc import Iterable


class FormRefused(Refused):
    """A refusal that belongs beside one field of the form; `status` is the page's HTTP status."""

    def __init__(self, message: str, field: str, status: int = 400, problems: Iterable[str] = ()) -> None:
        super().__init__(message, problems)
        self.field = field
        self.status = status


@dataclass(frozen=True)
class Registration:
    """What a new applicant typed, validated by the registration form."""

    email: str
    password: str
    full_name_native: str
    full_name_latin: str
    category: str
    faculty_id: int
    phone: str | None
    locale: str


def authenticate(email: str, password: str, remember: bool, address: str) -> User:
    """Log in as `email` from `address`: the login brake first, then the password, then a
    fresh server-side login. Raises FormRefused (429 wait, 401 wrong, 403 deactivated).

    A failure is recorded on a connection of its own (throttle.record_failure): the refused
    request's work is rolled back, the brake must still count it."""
    user = db.session.scalar(db.select(User).where(User.email == email))
    wait = throttle.seconds_to_wait(email, address, known_device=known_devices.recognizes(user))
    if wait:
        # Refused before the password is even looked at: guessing gains nothing.
        throttle.record_refusal(email, address, user)
        raise FormRefused(
            _("Too many failed attempts. Wait %(seconds)s seconds and try again.", seconds=wait), "password", 429
        )
    if user is None:
        spend_verification_time(password)
    if user is None or not verify_password(user, password):
        throttle.record_failure(email, address, user, "unknown_email" if user is None else "wrong_password")
        raise FormRefused(_("Wrong e-mail or password."), "password", 401)
    if not user.active:
        # Not counted by the brake (the password was right), but logged all the same.
        throttle.record_failure(email, address, user, "deactivated", counted=False)
        raise FormRefused(_("This account has been deactivated. Contact the department."), "email", 403)
    throttle.clear_failures(email, address)
    user.last_login_at = utcnow()
    _start_login(user, remember, address)
    events.record("login", actor=user, user=user, address=address)
    return user


def register(registration: Registration, address: str) -> User:
    """Create an applicant's account and log them in. An e-mail already taken, even by a
    registration a moment ago, raises FormRefused on the e-mail field."""
    taken = FormRefused(_("An account with this e-mail already exists. Log in instead."), "email")
    if _email_taken(registration.email):
        raise taken
    user = User(
        email=registration.email,
        password_hash=hash_password(registration.password),
        full_name_native=registration.full_name_native.strip(),
        full_name_latin=registration.full_name_latin.strip(),
        category=registration.category,
        faculty_id=registration.faculty_id,
        phone=(registration.phone or "").strip() or None,
        locale=registration.locale,
    )
    try:
        # A savepoint: the unique e-mail hit by a concurrent registration undoes this insert only.
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        raise taken from None
    _start_login(user, False, address)
    return user


def log_out(user: User, token: str | None) -> None:
    """End `user`'s login with this token, here and in the browser's cookies."""
    sessions.end_session(token, "logout")
    events.record("logout", actor=user, user=user)
    # Written before the browser forgets it: a failing write must not leave the login alive.
    db.session.flush()
    # Clear first: logout_user() leaves the mark that deletes the remember cookie.
    session.clear()
    logout_user()


def set_locale(user: User | None, code: str) -> bool:
    """The language switch: kept in the browser's session and, for a logged-in `user`, on
    the account. False (nothing changed) for a language irflow does not offer."""
    if code not in current_app.config["LANGUAGES"]:
        return False
    session["locale"] = code
    if user is not None:
        user.locale = code
    return True


def _email_taken(email: str) -> bool:
    return db.session.scalar(db.select(User.id).where(User.email == email)) is not None


def _start_login(user: User, remember: bool, address: str) -> None:
    session.clear()  # a fresh session: no fixation
    remember = remember and sessions.may_remember(user)
    sessions.forget_old_sessions(user.id)
    sessions.start_request_session(user, remember, address)
    login_user(user, remember=remember)
    known_devices.remember(user)
