"""Grants: the call's grant rules (set by the head under /manage/calls/<id>/grant-rules) and
each participant's grant computed from them (compute.py, operations.py, policy.py), with the
participant's green travel and the travel days the office grants (routes.py)."""

from flask import Blueprint

bp = Blueprint("grants", __name__)

from . import routes  # noqa: E402,F401
