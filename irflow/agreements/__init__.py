"""Learning agreements of study mobilities: drafted by the participant, approved or returned
by a coordinator, signed by the three parties before departure (policy.py, operations.py)."""

from flask import Blueprint

bp = Blueprint("agreements", __name__)

from . import routes  # noqa: E402,F401
