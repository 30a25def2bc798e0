from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, TextAreaField
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

    def report_fields(self):
        """The report as typed, cleaned: operations.save_report's keyword arguments."""
        credits = self.credits_recognised.data
        return {
            "activities": (self.activities.data or "").strip() or None,
            "results": (self.results.data or "").strip() or None,
            "credits_recognised": credits.quantize(Decimal("0.1")) if credits is not None else None,
            "recommendation": (self.recommendation.data or "").strip() or None,
        }
