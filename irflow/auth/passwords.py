"""Argon2id password hashes and the password policy."""

import contextlib
import gzip
import threading
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

MIN_LENGTH = 10
# Normalised (stripped, lower-case), unique, sorted by their UTF-8 bytes, one a line; where the
# entries come from and how the file is rebuilt: README.md beside this module.
BREACHED_PASSWORDS_FILE = Path(__file__).with_name("breached_passwords.txt.gz")


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


class SortedLines:
    """A sorted, newline-terminated block of UTF-8 lines searched by bisection in place.

    About 3.5 MB for the 415,000 shipped passwords, where a frozenset of them would hold about
    40 MB in every worker; a lookup still takes microseconds (bench/README.md)."""

    def __init__(self, block: bytes):
        self._block = block
        self._count = block.count(b"\n")

    def __len__(self):
        return self._count

    def __iter__(self):
        for line in self._block.splitlines():
            yield line.decode("utf-8")

    def __contains__(self, word):
        needle = word.encode("utf-8", "surrogatepass")
        block = self._block
        # low and high are always the starts of lines (high may be the end of the block).
        low, high = 0, len(block)
        while low < high:
            middle = (low + high) // 2
            start = block.rfind(b"\n", 0, middle) + 1
            end = block.find(b"\n", middle)
            line = block[start:end]
            if needle == line:
                return True
            if needle < line:
                high = start
            else:
                low = end + 1
        return False


_breached_passwords = None
_breached_passwords_lock = threading.Lock()


def common_passwords():
    """The breached-password list, read once per process on first use."""
    global _breached_passwords
    if _breached_passwords is None:
        with _breached_passwords_lock:
            if _breached_passwords is None:
                _breached_passwords = SortedLines(gzip.decompress(BREACHED_PASSWORDS_FILE.read_bytes()))
    return _breached_passwords


def password_problems(password, email=None):
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("Use at least %(count)s characters.", count=MIN_LENGTH))
    # As the list is stored: spaces around a listed password, or another case, hide nothing.
    lowered = password.strip().lower()
    if lowered in common_passwords():
        problems.append(_("This password is too common; choose another."))
    elif len(set(lowered)) < 4:
        problems.append(_("This password is too easy to guess; choose another."))
    if email and lowered == email.strip().lower().split("@")[0]:
        problems.append(_("Do not use your e-mail address as your password."))
    return problems
