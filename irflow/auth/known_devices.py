"""Browsers that have logged in to an account before ("known devices").

Each successful login leaves a long-lived signed cookie naming the user. It is no login:
it only lets its browser past the account-wide login brake (throttle.py), so that guessing
from elsewhere never makes the owner wait on their usual browser. It also carries a
fragment of a hash of the password hash, so that a password change voids every such cookie.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import after_this_request, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..web import unit_of_work

# Its own salt: no other signed value of the application (session, CSRF) passes for it.
SALT = "irflow-known-device"
LONGEST_COOKIE = 512


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _lifetime():
    return timedelta(days=current_app.config["KNOWN_DEVICE_DAYS"])


def _password_mark(user):
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:16]


def recognizes(user):
    """Whether this request's browser has logged in to `user`'s account with its current password."""
    if user is None:
        return False
    value = request.cookies.get(current_app.config["KNOWN_DEVICE_COOKIE_NAME"])
    if not value or len(value) > LONGEST_COOKIE:
        return False
    try:
        content = _serializer().loads(value, max_age=int(_lifetime().total_seconds()))
    except BadSignature:  # also a cookie out of date or not ours
        return False
    if not isinstance(content, dict) or content.get("user") != user.id:
        return False
    return hmac.compare_digest(str(content.get("password", "")), _password_mark(user))


def remember(user):
    """Have this request's response mark its browser as known to `user`'s account."""
    config = current_app.config
    value = _serializer().dumps(
        {"user": user.id, "device": secrets.token_urlsafe(16), "password": _password_mark(user)}
    )

    def set_cookie(response):
        # `__Host-` outside development: Secure, Path=/ and no Domain.
        response.set_cookie(
            config["KNOWN_DEVICE_COOKIE_NAME"],
            value,
            max_age=_lifetime(),
            path="/",
            secure=config["KNOWN_DEVICE_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
        return response

    # Only a login that was saved marks the browser: the cookie waits for the commit.
    unit_of_work.after_commit(lambda: after_this_request(set_cookie))
