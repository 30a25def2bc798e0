"""The confirmation form of a selection.

The rows vary with the call, so they are plain fields named `result-<application id>` and
`place-<application id>`, read against the proposal they were rendered from; the form
class carries the CSRF token and the fingerprint of that proposal.
"""

from wtforms import HiddenField

from ..forms import FlaskForm
from .proposal import Decision


class ConfirmSelectionForm(FlaskForm):
    fingerprint = HiddenField()


def result_field(application_id):
    return f"result-{application_id}"


def place_field(application_id):
    return f"place-{application_id}"


def _place_id(value):
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def read_decisions(formdata, proposal):
    """{application_id: Decision} as posted for every ranked row of `proposal`; a row that
    was not posted has result None (check_decisions reports it)."""
    decisions = {}
    for row in proposal.ranked:
        result = (formdata.get(result_field(row.id)) or "").strip() or None
        decisions[row.id] = Decision(result, _place_id(formdata.get(place_field(row.id))))
    return decisions
