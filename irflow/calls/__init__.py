from flask import Blueprint

bp = Blueprint("calls", __name__)

from . import routes  # noqa: E402,F401
