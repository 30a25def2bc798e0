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

from ..errors import Refused
from ..extensions import db
from ..models import User
from ..models.base import utcnow
from . import known_devices, second_factor, sessions, throttle
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


def authenticate(email: str, password: str, remember: bool, address: str, next_url: str = "") -> bool:
    """Log in as `email` from `address`: the login brake first, then the password, then a
    fresh server-side login. Raises FormRefused (429 wait, 401 wrong, 403 deactivated).

    False when the account has two-factor on: nobody is logged in yet, the browser carries
    a short-lived mark for the second step (`complete_second_step`), where `next_url` waits.
    Its failures are not cleared here: a right password must not reset the brake on codes.

    A failure is recorded on a connection of its own (throttle.record_failure): the refused
    request's work is rolled back, the brake must still count it."""
    user = db.session.scalar(db.select(User).where(User.email == email))
    _wait_for_brake(email, address, user, "password")
    if user is None:
        spend_verification_time(password)
    if user is None or not verify_password(user, password):
        throttle.record_failure(email, address)
        raise FormRefused(_("Wrong e-mail or password."), "password", 401)
    if not user.active:
        raise FormRefused(_("This account has been deactivated. Contact the department."), "email", 403)
    if second_factor.is_enabled(user):
        second_factor.begin_pending(user, remember, next_url)
        return False
    _finish_login(user, remember, address)
    return True


def complete_second_step(code: str, address: str) -> str | None:
    """The second step of a login the password began: a TOTP code or a recovery code, under
    the same brake as the password. Returns the page the login asked for (or "").
    None: no password step is pending (none, expired or its account changed)."""
    pending = second_factor.pending_login()
    if pending is None:
        return None
    user, remember, next_url = pending
    _wait_for_brake(user.email, address, user, "code")
    if second_factor.check(user, code) is None:
        throttle.record_failure(user.email, address)
        second_factor.record_failure_apart(user, "login")
        raise FormRefused(_("Wrong code. Type the code your authenticator app shows now."), "code", 401)
    _finish_login(user, remember, address)
    return next_url


def second_step_pending() -> bool:
    return second_factor.pending_login() is not None


def _wait_for_brake(email: str, address: str, user: User | None, field: str) -> None:
    wait = throttle.seconds_to_wait(email, address, known_device=known_devices.recognizes(user))
    if wait:
        # Refused before the password or code is even looked at: guessing gains nothing.
        raise FormRefused(
            _("Too many failed attempts. Wait %(seconds)s seconds and try again.", seconds=wait), field, 429
        )


def _finish_login(user: User, remember: bool, address: str) -> None:
    throttle.clear_failures(user.email, address)
    user.last_login_at = utcnow()
    _start_login(user, remember, address)


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


def log_out(token: str | None) -> None:
    """End the login with this token, here and in the browser's cookies."""
    sessions.end_session(token, "logout")
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
