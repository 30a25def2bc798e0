"""Calls: the public pages (routes) and the head's pages under /manage/ (manage, a
blueprint nested in this one: endpoints `calls.manage.*`): calls with their places and
criteria, publishing and closing them, and the overview of the department's work."""

from flask import Blueprint

bp = Blueprint("calls", __name__)

from . import routes  # noqa: E402,F401
from .manage import bp as manage_bp  # noqa: E402

bp.register_blueprint(manage_bp)
