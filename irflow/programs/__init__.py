"""Programs: the public list (routes) and the head's pages under /manage/programs (manage, a
blueprint nested in this one: endpoints `programs.manage.*`)."""

from flask import Blueprint

bp = Blueprint("programs", __name__)

from . import routes  # noqa: E402,F401
from .manage import bp as manage_bp  # noqa: E402

bp.register_blueprint(manage_bp)
