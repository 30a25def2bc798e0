from flask import Blueprint

bp = Blueprint("scoring", __name__)

from . import routes  # noqa: E402,F401
