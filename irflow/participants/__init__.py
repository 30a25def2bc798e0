"""Participant data for the European partner: what the Erasmus+ Beneficiary Module asks
about a participant once they hold a place, who may see and correct it (policy.py)."""

from flask import Blueprint

bp = Blueprint("participants", __name__)

from . import routes  # noqa: E402,F401
