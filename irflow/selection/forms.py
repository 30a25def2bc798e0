"""The confirmation form of a selection.

The rows vary with the call, so they are plain fields named `result-<application id>` and
`place-<application id>`, read against the proposal they were rendered from; the form
class carries the CSRF token and the fingerprint of that proposal. Only the rows the head
changed need be posted (the page's script leaves out the others): a field not posted
means "as proposed", and the fingerprint makes sure the proposal is the one shown.
"""

from dataclasses import dataclass

from wtforms import HiddenField

from ..forms import FlaskForm
from .proposal import RESULTS, Decision


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
    """{application_id: Decision} for every ranked row of `proposal`: a field posted
    overrides the proposal's result or host, a field not posted keeps it. A result posted
    empty is None (check_decisions reports it)."""
    decisions = {}
    for row in proposal.ranked:
        result, place_id = row.decision
        if result_field(row.id) in formdata:
            result = (formdata.get(result_field(row.id)) or "").strip() or None
        if place_field(row.id) in formdata:
            place_id = _place_id(formdata.get(place_field(row.id)))
        decisions[row.id] = Decision(result, place_id)
    return decisions


@dataclass(frozen=True)
class RowFilter:
    """Which ranked rows the page shows (GET ?host=<place id>&result=<result>), by the
    proposal: `host` keeps those proposed for that host and those not selected elsewhere
    who chose it; `result` those with that proposed result."""

    host: int | None = None
    result: str | None = None

    @classmethod
    def read(cls, args, call):
        host = _place_id(args.get("host"))
        result = (args.get("result") or "").strip()
        return cls(
            host=host if host in {place.id for place in call.places} else None,
            result=result if result in RESULTS else None,
        )

    @property
    def active(self):
        return self.host is not None or self.result is not None

    def args(self):
        return {name: value for name, value in (("host", self.host), ("result", self.result)) if value is not None}

    def keeps(self, row):
        result, place_id = row.decision
        if self.result is not None and result != self.result:
            return False
        if self.host is None:
            return True
        if result == "select":
            return place_id == self.host
        return self.host in row.chosen_place_ids
