"""The dashboard's period: academic years from and to, read from the query string."""

import re

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import Optional, ValidationError

from ..web import FilterForm

# ASCII digits only: \d would take any script's digits too.
ACADEMIC_YEAR = re.compile(r"([0-9]{4})/([0-9]{4})")


def is_academic_year(value):
    """'2026/2027' is one; '2026/2028', '2026-2027' and '26/27' are not."""
    match = ACADEMIC_YEAR.fullmatch(value or "")
    return match is not None and int(match.group(2)) == int(match.group(1)) + 1


def _academic_year(form, field):
    if not is_academic_year(field.data):
        raise ValidationError(_l("Not an academic year such as 2026/2027."))


class PeriodForm(FilterForm):
    """Choices are the years calls exist in, but any well-formed academic year is accepted
    (a bookmarked period stays valid); anything else is ignored, and the user told,
    rather than failing the page."""

    year_from = SelectField(
        _l("From academic year"), choices=[], default="", validate_choice=False, validators=[Optional(), _academic_year]
    )
    year_to = SelectField(
        _l("To academic year"), choices=[], default="", validate_choice=False, validators=[Optional(), _academic_year]
    )

    def __init__(self, formdata, years, **kwargs):
        super().__init__(formdata, **kwargs)
        self._years = list(years)

    def _set_choices(self):
        years = set(self._years)
        for field in (self.year_from, self.year_to):
            if field.data:
                years.add(field.data)
        ordered = sorted(years, reverse=True)
        self.year_from.choices = [("", _l("Any year"))] + [(year, year) for year in ordered]
        self.year_to.choices = [("", _l("Any year"))] + [(year, year) for year in ordered]

    def period(self):
        """Validate; drop every invalid value (and both ends of a period that ends before it
        starts). Returns (year_from or None, year_to or None, labels of the ignored fields)."""
        self.validate()
        ignored = []
        for name in self.errors:
            field = self[name]
            field.data = field.default
            ignored.append(str(field.label.text))
        if self.year_from.data and self.year_to.data and self.year_from.data > self.year_to.data:
            ignored = [str(self.year_from.label.text), str(self.year_to.label.text)]
            self.year_from.data = self.year_to.data = ""
        self._set_choices()
        return self.year_from.data or None, self.year_to.data or None, ignored

    def link_args(self):
        """The period as query-string arguments, for links that keep it."""
        args = {"year_from": self.year_from.data, "year_to": self.year_to.data}
        return {key: value for key, value in args.items() if value}
