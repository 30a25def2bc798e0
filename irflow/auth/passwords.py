"""Argon2id password hashes and the password policy."""

import contextlib
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

MIN_LENGTH = 10
_COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


def _hasher():
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST"],
        parallelism=config["ARGON2_PARALLELISM"],
        type=Type.ID,
    )


def hash_password(password):
    return _hasher().hash(password)


def verify_password(user, password):
    """Check `password`; upgrade the stored hash when the cost settings have changed."""
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


_DUMMY_HASH = None


def spend_verification_time(password):
    """Hash once for an unknown e-mail so response time does not reveal which accounts exist."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher().hash("irflow-no-such-user")
    with contextlib.suppress(VerificationError):
        _hasher().verify(_DUMMY_HASH, password)


@lru_cache(maxsize=1)
def common_passwords():
    lines = _COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def password_problems(password, email=None):
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("Use at least %(count)s characters.", count=MIN_LENGTH))
    lowered = password.lower()
    if lowered in common_passwords():
        problems.append(_("This password is too common; choose another."))
    elif len(set(lowered)) < 4:
        problems.append(_("This password is too easy to guess; choose another."))
    if email and lowered == email.lower().split("@")[0]:
        problems.append(_("Do not use your e-mail address as your password."))
    return problems
