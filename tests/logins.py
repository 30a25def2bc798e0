"""Logins for tests that need a browser of their own, as a real login would make them."""

from irflow.auth.sessions import start_session
from irflow.extensions import db


def login_token(user, remember=False):
    """Record a login of `user` and return the token its cookies carry (Flask-Login's user id)."""
    token = start_session(user, remember=remember, user_agent="pytest", address="127.0.0.1")
    db.session.commit()
    return token
