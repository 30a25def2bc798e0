from flask import Blueprint

bp = Blueprint("exports", __name__)

from . import beneficiary_routes, routes  # noqa: E402,F401
