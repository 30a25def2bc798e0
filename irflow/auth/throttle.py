"""Slowing down password guessing without letting an attacker lock a real user out.

Failed logins are counted over a window, and each further try must wait longer
(doubling). Counted three ways:
- this account from this address: the main brake on guessing one account;
- this address over all accounts: the brake on trying many accounts;
- this account from every address: only a short pause before the password is checked,
  never a refusal, so that failures from elsewhere cannot keep the real user out.
Refusals depend on the asking address alone. A successful login clears that account's
failures from that address.
"""
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import LoginAttempt
from ..models.base import utcnow


def _delay(failures, free_attempts, cap):
    if failures < free_attempts:
        return 0
    return min(cap, 2 ** (failures - free_attempts + 1))


def _failures(since, *conditions):
    count, latest = db.session.execute(
        sa.select(sa.func.count(LoginAttempt.id), sa.func.max(LoginAttempt.created_at))
        .where(LoginAttempt.created_at >= since, *conditions)
    ).one()
    return count, latest


def seconds_to_wait(email, address, now=None):
    """How long this e-mail from this address must still wait before the next try (0: go ahead)."""
    config = current_app.config
    now = now or utcnow()
    since = now - timedelta(seconds=config["LOGIN_THROTTLE_WINDOW_SECONDS"])
    free = config["LOGIN_THROTTLE_FREE_ATTEMPTS"]
    cap = config["LOGIN_THROTTLE_MAX_DELAY_SECONDS"]
    checks = (
        (_failures(since, LoginAttempt.email == email, LoginAttempt.address == address), free, cap),
        (_failures(since, LoginAttempt.address == address), config["LOGIN_THROTTLE_ADDRESS_FREE_ATTEMPTS"],
         config["LOGIN_THROTTLE_ADDRESS_MAX_DELAY_SECONDS"]),
    )
    wait = 0
    for (count, latest), free_attempts, limit in checks:
        delay = _delay(count, free_attempts, limit)
        if delay and latest is not None:
            remaining = (latest + timedelta(seconds=delay) - now).total_seconds()
            wait = max(wait, remaining)
    return int(wait + 0.999) if wait > 0 else 0


def account_pause_seconds(email, now=None):
    """A short pause before checking a password of an account under attack from anywhere.

    It slows guessing spread over many addresses; being a pause, not a refusal, the real
    user's correct password still gets in."""
    config = current_app.config
    now = now or utcnow()
    since = now - timedelta(seconds=config["LOGIN_THROTTLE_WINDOW_SECONDS"])
    count, _latest = _failures(since, LoginAttempt.email == email)
    free = config["LOGIN_THROTTLE_FREE_ATTEMPTS"] * 2
    if count < free:
        return 0.0
    cap = config["LOGIN_THROTTLE_ACCOUNT_PAUSE_MS"] / 1000
    return min(cap, 0.125 * 2 ** min(count - free, 16))


def record_failure(email, address):
    # Old rows count for nothing; drop them so the table stays small.
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.created_at < utcnow() - timedelta(days=1)))
    db.session.add(LoginAttempt(email=email, address=address))


def clear_failures(email, address):
    db.session.execute(
        sa.delete(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.address == address)
    )
