from flask import Blueprint

bp = Blueprint("selection", __name__)

from . import routes  # noqa: E402,F401
