from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import accounts, events, routes  # noqa: E402,F401
