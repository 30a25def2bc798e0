from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import Length, Optional, StopValidation
from wtforms.widgets import TextInput

from ..forms import FlaskForm
from ..web.forms import LocalDecimalField

REPORT_TEXT_MAX = 10000
# The column is NUMERIC(6, 1).
CREDITS_MAX = Decimal("99999.9")


class ReturnReportForm(FlaskForm):
    """The participant's report on return. Nothing is required to save it: a report may be
    written over several sittings; what submission needs is checked when it is submitted."""

    version = HiddenField()
    activities = TextAreaField(
        _l("What you did"),
        validators=[Optional(), Length(max=REPORT_TEXT_MAX)],
        description=_l("Courses taken, research, teaching or training done, and where."),
        render_kw={"rows": 7},
    )
    results = TextAreaField(
        _l("Results"),
        validators=[Optional(), Length(max=REPORT_TEXT_MAX)],
        description=_l("Exams passed, publications, skills, contacts made; what you bring home."),
        render_kw={"rows": 7},
    )
    # Text, not type=number: a browser would silently drop "7,5" and the user would not see
    # what they typed next to the error.
    credits_recognised = LocalDecimalField(
        _l("Credits recognised (ECTS)"),
        places=1,
        validators=[Optional()],
        widget=TextInput(),
        description=_l("Optional: the credits your faculty recognises for the mobility, for example 30 or 27,5."),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    recommendation = TextAreaField(
        _l("Advice for future applicants"),
        validators=[Optional(), Length(max=REPORT_TEXT_MAX)],
        description=_l("Optional: what you wish you had known before you went."),
        render_kw={"rows": 5},
    )

    def validate_credits_recognised(self, field):
        value = field.data
        if value is None:
            return
        if not value.is_finite() or value < 0:
            raise StopValidation(_l("Enter a number of credits of 0 or more."))
        if value > CREDITS_MAX:
            raise StopValidation(_l("That is more credits than any mobility gives."))
        try:
            exact = value == value.quantize(Decimal("0.1"))
        except InvalidOperation:
            exact = False
        if not exact:
            raise StopValidation(_l("Give the credits with at most one decimal place."))

    def fill_from(self, application):
        report = application.report
        if report is not None:
            self.activities.data = report.activities
            self.results.data = report.results
            self.credits_recognised.data = report.credits_recognised
            self.recommendation.data = report.recommendation
        self.version.data = application.version

    def save_to(self, report):
        report.activities = (self.activities.data or "").strip() or None
        report.results = (self.results.data or "").strip() or None
        credits = self.credits_recognised.data
        report.credits_recognised = credits.quantize(Decimal("0.1")) if credits is not None else None
        report.recommendation = (self.recommendation.data or "").strip() or None


class MobilityFilterForm(FlaskForm):
    """The call filter of the nominations page, read from the query string."""

    class Meta:
        csrf = False  # a GET filter changes nothing

    call = SelectField(_l("Call"), choices=[], default="")

    def __init__(self, formdata, calls, **kwargs):
        super().__init__(formdata, **kwargs)
        self.call.choices = [("", _l("All calls"))] + [
            (str(call_id), f"{title} ({year})") for call_id, title, year in calls
        ]

    def call_id(self):
        """The chosen call's id, or None for all (an id outside the choices is ignored)."""
        if not self.validate() or not self.call.data:
            self.call.data = ""
            return None
        return int(self.call.data)


class NominateForm(FlaskForm):
    """Only the CSRF token: the selected rows (`application`) and their versions
    (`version-<id>`) are read from the posted form by nominations.read_selection."""
