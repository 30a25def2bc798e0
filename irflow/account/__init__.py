"""The user's own account: profile, password, logins, a copy of their personal data
(/account/...), and `flask purge-personal-data` that anonymises accounts long finished."""

from flask import Blueprint

bp = Blueprint("account", __name__)

from . import routes  # noqa: E402,F401
