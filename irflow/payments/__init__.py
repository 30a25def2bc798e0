"""Grant payments: the instalments of each participant's grant (operations.py), the head's
list of payments with its export (routes.py), who sees what (policy.py)."""

from flask import Blueprint

bp = Blueprint("payments", __name__)

from . import routes  # noqa: E402,F401
