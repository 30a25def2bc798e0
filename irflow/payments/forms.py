from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import FlaskForm
from ..web import FilterForm
from ..web.forms import strip_text
from .operations import REFERENCE_MAX
from .queries import DEFAULT_STATE

STATE_FILTER_LABELS = {
    "open": _l("Due and overdue"),
    "overdue": _l("Overdue"),
    "waiting": _l("Waiting for the report"),
    "paid": _l("Paid"),
    "all": _l("All"),
}
MAX_PAGE = 100_000


class PaymentFilterForm(FilterForm):
    """The list's filters, from the query string; an invalid value is ignored (and told)."""

    call = SelectField(_l("Call"), choices=[], default="")
    state = SelectField(_l("State"), choices=[], default=DEFAULT_STATE)
    due_until = DateField(_l("Due up to"), validators=[Optional()])
    page = IntegerField(_l("Page"), default=1, validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)])

    def __init__(self, formdata, calls, **kwargs):
        super().__init__(formdata, **kwargs)
        self.call.choices = [("", _l("All calls"))] + [
            (str(call.id), f"{call.title} ({call.academic_year})") for call in calls
        ]
        self.state.choices = list(STATE_FILTER_LABELS.items())

    def filter_values(self):
        """(keyword arguments for the queries, page number, labels of ignored fields)."""
        ignored = self.ignore_invalid_values()
        values = {
            "call_id": int(self.call.data) if self.call.data else None,
            "state": self.state.data or DEFAULT_STATE,
            "due_until": self.due_until.data,
        }
        return values, self.page.data or 1, ignored

    def link_args(self, **changes):
        """Query-string arguments repeating the current filters."""
        args = {
            "call": self.call.data or None,
            "state": self.state.data if self.state.data != DEFAULT_STATE else None,
            "due_until": self.due_until.data.isoformat() if self.due_until.data else None,
        }
        args.update(changes)
        return {key: value for key, value in args.items() if value not in (None, "")}


class PaymentForm(FlaskForm):
    """Recording (or correcting) the transfer of one instalment."""

    version = HiddenField()
    paid_on = DateField(_l("Paid on"), validators=[InputRequired(_l("Enter the day the transfer was made."))])
    reference = StringField(
        _l("Reference"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Enter the reference of the bank transfer.")),
            Length(max=REFERENCE_MAX, message=_l("The reference is at most %(max)d characters.")),
        ],
        description=_l("The bank transfer's reference."),
    )


class UndoForm(FlaskForm):
    version = HiddenField()
