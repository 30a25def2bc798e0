"""Mobility after selection: the coordinator's nominations page, from the nomination to the
host until the participant's return report is approved."""

from flask import Blueprint

bp = Blueprint("mobility", __name__)

from . import routes  # noqa: E402,F401
