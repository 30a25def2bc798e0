"""Changes during the stay abroad: the participant asks for an extension, a shortening or an
interruption; a coordinator of the faculty (or the head) approves or refuses it. Rules in
policy.py, use cases in operations.py."""

from flask import Blueprint

bp = Blueprint("stays", __name__)

from . import routes  # noqa: E402,F401
