from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, Regexp

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
