"""Messages from the department: one message to a group of applicants (everyone selected in
a call, its waiting list, participants abroad, overdue reports, chosen applications), and
the head's own texts of the automatic notices, per kind and language."""

from flask import Blueprint

bp = Blueprint("messages", __name__)

from . import routes  # noqa: E402,F401
