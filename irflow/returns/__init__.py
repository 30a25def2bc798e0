"""Return reports: what the participant writes on return, its checklist, who may see and
act on it (policy.py), and the reminders of overdue reports."""

from flask import Blueprint

bp = Blueprint("returns", __name__)

from . import routes  # noqa: E402,F401
