"""Slowing down password guessing without letting an attacker lock a real user out.

Failed logins are counted over a window, and each further try must wait longer
(doubling), counted from the latest failure. Counted three ways:
- this account from this address: the main brake on guessing one account;
- this address over all accounts: the brake on trying many accounts;
- this account from every address: the brake on guessing spread over many addresses.
  Its free count is generous and its wait capped low (LOGIN_THROTTLE_ACCOUNT_*), and it
  does not apply to a browser that has logged in to that account before (known_devices.py):
  failures from elsewhere never make the owner wait on their usual browser, and at most
  the cap on a new one.
A refused try is answered at once, before any password is checked: no request sleeps.
A successful login clears that account's failures from that address.

The table keeps the e-mail as typed, also for no account, so a row lives no longer than it
counts: every failed and every successful login deletes the rows older than the window
(`_forget_expired`). The security event of a failure keeps only a digest (irflow/events.py).
"""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from .. import events
from ..extensions import db
from ..models import LoginAttempt
from ..models.base import utcnow


def _delay(failures, free_attempts, cap):
    if failures < free_attempts:
        return 0
    return min(cap, 2 ** (failures - free_attempts + 1))


def _failures(since, *conditions):
    count, latest = db.session.execute(
        sa.select(sa.func.count(LoginAttempt.id), sa.func.max(LoginAttempt.created_at)).where(
            LoginAttempt.created_at >= since, *conditions
        )
    ).one()
    return count, latest


def seconds_to_wait(email, address, known_device=False, now=None):
    """How long this e-mail from this address must still wait before the next try (0: go ahead).

    `known_device`: the browser has logged in to this account before; the account-wide
    brake does not hold it back."""
    config = current_app.config
    now = now or utcnow()
    since = now - timedelta(seconds=config["LOGIN_THROTTLE_WINDOW_SECONDS"])
    checks = [
        (
            _failures(since, LoginAttempt.email == email, LoginAttempt.address == address),
            config["LOGIN_THROTTLE_FREE_ATTEMPTS"],
            config["LOGIN_THROTTLE_MAX_DELAY_SECONDS"],
        ),
        (
            _failures(since, LoginAttempt.address == address),
            config["LOGIN_THROTTLE_ADDRESS_FREE_ATTEMPTS"],
            config["LOGIN_THROTTLE_ADDRESS_MAX_DELAY_SECONDS"],
        ),
    ]
    if not known_device:
        checks.append(
            (
                _failures(since, LoginAttempt.email == email),
                config["LOGIN_THROTTLE_ACCOUNT_FREE_ATTEMPTS"],
                config["LOGIN_THROTTLE_ACCOUNT_MAX_DELAY_SECONDS"],
            )
        )
    wait = 0
    for (count, latest), free_attempts, limit in checks:
        delay = _delay(count, free_attempts, limit)
        if delay and latest is not None:
            remaining = (latest + timedelta(seconds=delay) - now).total_seconds()
            wait = max(wait, remaining)
    return int(wait + 0.999) if wait > 0 else 0


def record_failure(email, address, user=None, reason=None, counted=True, event=True):
    """Count a failed login, on a connection of its own committed at once: the refused
    request's own work is rolled back, and the brake must count the failure all the same.
    Its security event ("login_failed": the account, or the digest of the typed e-mail when
    no account has it) is written in that same transaction, for the same reason.
    (The login has written nothing on the request's connection by then, so on SQLite this
    second connection finds the file unlocked.)

    `counted`: False for a failure the brake does not count (the right password of a
    deactivated account): only its event is written. `event`: False where the caller logs
    the failure as a kind of its own (a wrong second-factor code)."""
    now = utcnow()
    with db.engine.begin() as connection:
        if counted:
            connection.execute(_forget_expired(now))
            connection.execute(sa.insert(LoginAttempt).values(email=email, address=address, created_at=now))
        if event:
            _record_event(connection, "login_failed", email, address, user, reason)


def record_refusal(email, address, user=None):
    """A try refused by the brake before any password was checked: its event
    ("login_throttled"), on a connection of its own like a failure, so the refusal's
    rollback keeps it."""
    with db.engine.begin() as connection:
        _record_event(connection, "login_throttled", email, address, user, None)


def _record_event(connection, kind, email, address, user, reason):
    events.record(
        kind,
        user=user,
        email=None if user is not None else email,
        address=address,
        details={"reason": reason} if reason else {},
        connection=connection,
    )


def clear_failures(email, address):
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.address == address))
    db.session.execute(_forget_expired(utcnow()))


def _forget_expired(now):
    """Rows outside the window count for nothing, and hold typed addresses: gone."""
    window = timedelta(seconds=current_app.config["LOGIN_THROTTLE_WINDOW_SECONDS"])
    return sa.delete(LoginAttempt).where(LoginAttempt.created_at < now - window)


def too_many_attempts(seconds):
    """What a try held back by the brake is told, wherever the brake holds it back."""
    return _("Too many failed attempts. Wait %(seconds)s seconds and try again.", seconds=seconds)
