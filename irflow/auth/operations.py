"""Logging in and out, registering, confirming the e-mail address, the language switch:
the use cases of the auth pages.

Nothing here commits: the request is the unit of work (irflow/web/unit_of_work.py). A
refused login or registration raises a `Refused` naming the form field its message
belongs to, so the page can show the form again with what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app, session
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from sqlalchemy.exc import IntegrityError

from .. import events
from ..errors import Refused
from ..extensions import db
from ..models import SecurityEvent, User
from ..models.base import utcnow
from ..services.mail import queue_for_user
from ..web.links import mailed_url
from . import known_devices, second_factor, sessions, throttle, verification
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
    privacy_consent: bool


def authenticate(email: str, password: str, remember: bool, address: str, next_url: str = "") -> bool:
    """Log in as `email` from `address`: the login brake first, then the password, then a
    fresh server-side login. Raises FormRefused (429 wait, 401 wrong, 403 deactivated).

    False when the account has two-factor on: nobody is logged in yet, the browser carries
    a short-lived mark for the second step (`complete_second_step`), where `next_url` waits.
    Its failures are not cleared here: a right password must not reset the brake on codes.

    A failure is recorded on a connection of its own (throttle.record_failure): the refused
    request's work is rolled back, the brake must still count it."""
    user = db.session.scalar(db.select(User).where(User.email == email))
    refuse_while_braked(email, address, user, "password")
    if user is None:
        spend_verification_time(password)
    if user is None or not verify_password(user, password):
        throttle.record_failure(email, address, user, "unknown_email" if user is None else "wrong_password")
        raise FormRefused(_("Wrong e-mail or password."), "password", 401)
    if not user.active:
        # Not counted by the brake (the password was right), but logged all the same.
        throttle.record_failure(email, address, user, "deactivated", counted=False)
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
    refuse_while_braked(user.email, address, user, "code")
    if second_factor.check(user, code) is None:
        throttle.record_failure(user.email, address, user, event=False)
        second_factor.record_failure_apart(user, "login")
        raise FormRefused(_("Wrong code. Type the code your authenticator app shows now."), "code", 401)
    _finish_login(user, remember, address)
    return next_url


def second_step_pending() -> bool:
    return second_factor.pending_login() is not None


def refuse_while_braked(
    email: str, address: str, user: User | None, field: str, known_device: bool | None = None
) -> None:
    """Refuse the try (429, beside `field`) while the login brake holds; `known_device`: None
    asks the browser's cookie, True for a browser already logged in to the account."""
    if known_device is None:
        known_device = known_devices.recognizes(user)
    wait = throttle.seconds_to_wait(email, address, known_device=known_device)
    if wait:
        # Refused before the password or code is even looked at: guessing gains nothing.
        throttle.record_refusal(email, address, user)
        raise FormRefused(throttle.too_many_attempts(wait), field, 429)


def _finish_login(user: User, remember: bool, address: str) -> None:
    throttle.clear_failures(user.email, address)
    user.last_login_at = utcnow()
    chosen = session.get("locale")  # the login starts a fresh session
    _start_login(user, remember, address)
    if user.locale is None and chosen in current_app.config["LANGUAGES"]:
        user.locale = chosen
    events.record("login", actor=user, user=user, address=address)


def register(registration: Registration, address: str) -> User | None:
    """Create an applicant's account and mail the link that confirms its address. Nobody is
    logged in: they log in with their password (before confirming, too: a draft needs no more).

    An address that has an account already creates nothing and returns None: its owner gets
    a mail instead, and the page says what it says to a new applicant, so that registering
    tells a stranger nothing about which addresses have accounts. Refused with 429 beyond
    REGISTRATION_THROTTLE_PER_HOUR registrations from one address."""
    _refuse_if_registering_too_often(address)
    if not registration.privacy_consent:
        raise FormRefused(_("Agree to the privacy notice to register."), "privacy_consent")
    if _email_taken(registration.email):
        # The hash a new account costs: the answer takes as long either way.
        hash_password(registration.password)
        _tell_owner(registration.email, address)
        return None
    now = utcnow()
    user = User(
        email=registration.email,
        password_hash=hash_password(registration.password),
        full_name_native=registration.full_name_native.strip(),
        full_name_latin=registration.full_name_latin.strip(),
        category=registration.category,
        faculty_id=registration.faculty_id,
        phone=(registration.phone or "").strip() or None,
        locale=registration.locale,
        privacy_consent_at=now,
    )
    try:
        # A savepoint: the unique e-mail hit by a concurrent registration undoes this insert only.
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        _tell_owner(registration.email, address)
        return None
    events.record("registered", actor=user, user=user, address=address)
    verification.send_link(user)
    return user


def confirm_email(user: User, actor: User | None) -> None:
    """The owner opened the link mailed to them and confirmed: the account is verified."""
    verification.confirm(user, actor)


def resend_verification(user: User) -> None:
    """Mail `user` a new verification link; at most one per VERIFY_RESEND_INTERVAL_SECONDS,
    so the button cannot flood their mailbox."""
    wait = verification.seconds_until_resend(user)
    if wait:
        minutes = (wait + 59) // 60
        raise Refused(
            _(
                "A link was sent to you a short while ago; a new one can be sent every %(interval)s minutes. "
                "Check your mailbox (and its spam folder), or try again in %(minutes)s minutes.",
                interval=current_app.config["VERIFY_RESEND_INTERVAL_SECONDS"] // 60,
                minutes=minutes,
            )
        )
    verification.send_link(user)


def _refuse_if_registering_too_often(address: str) -> None:
    limit = current_app.config["REGISTRATION_THROTTLE_PER_HOUR"]
    since = utcnow() - timedelta(hours=1)
    count = db.session.scalar(
        sa.select(sa.func.count(SecurityEvent.id)).where(
            SecurityEvent.kind.in_(("registered", "registration_email_taken")),
            SecurityEvent.created_at >= since,
            SecurityEvent.address == address,
        )
    )
    if count >= limit:
        raise FormRefused(
            _("Too many registrations from your network in the last hour. Try again later."), "email", 429
        )


def _tell_owner(email: str, address: str) -> None:
    """Someone registered with `email`, which has an account: tell its owner, at most once an hour."""
    owner = db.session.scalar(db.select(User).where(User.email == email))
    events.record("registration_email_taken", user=owner, address=address)
    queue_for_user(
        owner,
        "emails/already_registered.txt",
        lambda: _("Someone tried to register with your e-mail address"),
        dedup_key=f"already-registered:{owner.id}:{utcnow():%Y-%m-%dT%H}",
        login_url=mailed_url("auth.login"),
    )


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
