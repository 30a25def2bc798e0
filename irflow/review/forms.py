from flask_babel import lazy_gettext as _l
from wtforms import Field, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional, Regexp, ValidationError

from ..applications.forms import COMMENT_MAX
from ..forms import FlaskForm
from ..models.states import STATE_LABELS
from ..web import FilterForm
from .queries import DEFAULT_DIRECTION, DEFAULT_SORT, REVIEW_STATES, SEARCH_MAX_LENGTH

SORT_LABELS = {
    "submitted": _l("Submitted"),
    "name": _l("Name (Latin)"),
    "state": _l("State"),
    "call": _l("Call"),
    "score": _l("Total score"),
}
DIRECTION_LABELS = {"asc": _l("Ascending"), "desc": _l("Descending")}

# Far beyond any real queue, and small enough that page * page size stays a valid OFFSET.
MAX_PAGE = 100_000


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ReviewFilterForm(FilterForm):
    """The queue's filters, read from the query string. Choices are limited to what the
    user may see, so another faculty's or call's id is not a valid choice; an invalid value
    is ignored (and the user told) rather than failing the page."""

    q = StringField(
        _l("Name, e-mail or number"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=SEARCH_MAX_LENGTH),
            # Control characters are in no name; PostgreSQL refuses NUL in text outright.
            Regexp(r"^[^\x00-\x1f\x7f]*$"),
        ],
    )
    call = SelectField(_l("Call"), choices=[], default="")
    state = SelectField(_l("State"), choices=[], default="")
    faculty = SelectField(_l("Faculty"), choices=[], default="")
    sort = SelectField(_l("Sort by"), choices=[], default=DEFAULT_SORT)
    direction = SelectField(_l("Direction"), choices=[], default=DEFAULT_DIRECTION)
    page = IntegerField(_l("Page"), default=1, validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)])

    def __init__(self, formdata, calls, faculties, **kwargs):
        super().__init__(formdata, **kwargs)
        self.call.choices = [("", _l("All calls"))] + [
            (str(call.id), f"{call.title} ({call.academic_year})") for call in calls
        ]
        self.state.choices = [("", _l("All states"))] + [(state, STATE_LABELS[state]) for state in REVIEW_STATES]
        self.faculty.choices = [("", _l("All faculties"))] + [(str(faculty.id), faculty.name) for faculty in faculties]
        self.sort.choices = list(SORT_LABELS.items())
        self.direction.choices = list(DIRECTION_LABELS.items())

    def filter_values(self):
        """Validate, fall back to the default for every invalid field, and return
        (keyword arguments for review_queries, page number, labels of ignored fields)."""
        self.validate()
        ignored = []
        for name in self.errors:
            field = self[name]
            field.data = field.default
            ignored.append(str(field.label.text))
        values = {
            "call_id": int(self.call.data) if self.call.data else None,
            "state": self.state.data or None,
            "faculty_id": int(self.faculty.data) if self.faculty.data else None,
            "text": self.q.data or None,
            "sort": self.sort.data or DEFAULT_SORT,
            "direction": self.direction.data or DEFAULT_DIRECTION,
        }
        return values, self.page.data or 1, ignored

    def link_args(self, **changes):
        """Query-string arguments repeating the current filters, for links that change one."""
        args = {
            "q": self.q.data or None,
            "call": self.call.data or None,
            "state": self.state.data or None,
            "faculty": self.faculty.data or None,
            "sort": self.sort.data if self.sort.data != DEFAULT_SORT else None,
            "direction": self.direction.data if self.direction.data != DEFAULT_DIRECTION else None,
        }
        args.update(changes)
        return {key: value for key, value in args.items() if value not in (None, "")}


# The triggers the queue fires for many applications at once, with their button labels.
BULK_TRIGGERS = ("approve_eligibility", "request_changes")
# Far more than a page of the queue; a longer list is no one's ticking.
MAX_BULK_ROWS = 200


class TickedRowsField(Field):
    """The ticked rows of the queue: each checkbox posts "application id:version shown"."""

    def process_formdata(self, valuelist):
        rows, seen = [], set()
        for value in valuelist:
            application_id, _, version = str(value).partition(":")
            if not (application_id.isascii() and application_id.isdigit() and len(application_id) <= 9):
                raise ValueError(_l("The ticked rows could not be read. Reload the page and try again."))
            if int(application_id) not in seen:
                seen.add(int(application_id))
                # A garbled version matches none: fire() refuses that row as changed meanwhile.
                rows.append((int(application_id), version))
        self.data = rows

    def _value(self):
        return ""


class BulkForm(FlaskForm):
    """What the queue posts to act on the ticked applications at once."""

    row = TickedRowsField(_l("Ticked applications"), default=())
    action = SelectField(_l("Action"), choices=[(trigger, trigger) for trigger in BULK_TRIGGERS])
    comment = TextAreaField(
        _l("Comment for the applicants"),
        filters=[_strip],
        validators=[Optional(), Length(max=COMMENT_MAX)],
        description=_l("Required to request changes; every ticked applicant gets the same comment."),
    )

    def validate_row(self, field):
        if not field.data:
            raise ValidationError(_l("Tick at least one application."))
        if len(field.data) > MAX_BULK_ROWS:
            raise ValidationError(_l("Tick at most %(num)d applications at once.", num=MAX_BULK_ROWS))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        # Here, not in validate_comment: Optional() ends the field's own checks when it is empty.
        if self.action.data == "request_changes" and not self.comment.data:
            self.comment.errors.append(_l("Write what the applicants should change."))
            valid = False
        return valid

    def ticked_ids(self):
        return {application_id for application_id, _ in self.row.data or ()}
