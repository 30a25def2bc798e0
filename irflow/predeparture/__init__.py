"""The pre-departure checklist: visa, insurance, tickets, accommodation, the host's invitation
letter and the certificate of arrival, each due some days before the departure. Items in
items.py, rules in policy.py, use cases in operations.py, reminders in reminders.py."""

from flask import Blueprint

bp = Blueprint("predeparture", __name__)

from . import routes  # noqa: E402,F401
