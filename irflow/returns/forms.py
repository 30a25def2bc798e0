from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import FieldList, FormField, HiddenField, StringField, TextAreaField
from wtforms.validators import Length, Optional, StopValidation
from wtforms.widgets import TextInput

from ..forms import FlaskForm, Form
from ..web.forms import LocalDecimalField, strip_text

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


# Rows shown for courses: those recorded and this many empty ones, up to MAX_RECOGNITION_ROWS.
EMPTY_RECOGNITION_ROWS = 2
MAX_RECOGNITION_ROWS = 40
COURSE_ECTS_MAX = Decimal(60)


class RecognitionRowForm(Form):
    """One course taken at the host. A row left entirely empty is ignored (so emptying a row
    removes it)."""

    host_code = StringField(_l("Code at the host"), filters=[strip_text], validators=[Optional(), Length(max=40)])
    host_title = StringField(_l("Course at the host"), filters=[strip_text], validators=[Optional(), Length(max=300)])
    host_grade = StringField(_l("Grade at the host"), filters=[strip_text], validators=[Optional(), Length(max=40)])
    home_grade = StringField(_l("Home grade"), filters=[strip_text], validators=[Optional(), Length(max=40)])
    ects = LocalDecimalField(_l("ECTS recognised"), places=1, validators=[Optional()])
    home_course = StringField(
        _l("Recognised as (home course)"), filters=[strip_text], validators=[Optional(), Length(max=300)]
    )

    def is_blank(self):
        texts = (self.host_code, self.host_title, self.host_grade, self.home_grade, self.home_course)
        return (
            not any(field.data for field in texts)
            and self.ects.data is None
            and not (self.ects.raw_data and self.ects.raw_data[0].strip())
        )

    def validate(self, extra_validators=None):
        if self.is_blank():
            for field in self:
                field.errors = []
            return True
        ok = super().validate(extra_validators)
        for field, message in (
            (self.host_title, _l("Give the course's title at the host.")),
            (self.host_grade, _l("Give the grade obtained at the host.")),
            (self.home_grade, _l("Give the converted home grade.")),
        ):
            if not field.data and not field.errors:
                field.errors.append(message)
                ok = False
        ects = self.ects.data
        if self.ects.errors:
            ok = False
        elif ects is None:
            self.ects.errors.append(_l("Give the ECTS recognised, 0 or more."))
            ok = False
        elif ects < 0 or ects > COURSE_ECTS_MAX:
            self.ects.errors.append(_l("Give the ECTS recognised between 0 and 60."))
            ok = False
        elif ects != ects.quantize(Decimal("0.1")):
            self.ects.errors.append(_l("Give the credits with at most one decimal place."))
            ok = False
        return ok

    def row(self):
        return {
            "host_code": self.host_code.data or None,
            "host_title": self.host_title.data,
            "host_grade": self.host_grade.data,
            "home_grade": self.home_grade.data,
            "ects": self.ects.data.quantize(Decimal("0.1")),
            "home_course": self.home_course.data or None,
        }


class RecognitionForm(FlaskForm):
    """The recognition of a study mobility, course by course, from the host's transcript."""

    rows = FieldList(FormField(RecognitionRowForm), label=_l("Courses"), max_entries=MAX_RECOGNITION_ROWS)
    version = HiddenField()

    def fill_from(self, application, agreement):
        """The rows recorded, or else the approved learning agreement's courses to start from."""
        while self.rows.entries:
            self.rows.pop_entry()
        for data in recognition_rows(application, agreement):
            self.rows.append_entry(data)
        self.version.data = application.version
        self.add_empty_rows()

    def add_empty_rows(self):
        while (
            len(self.rows.entries) < MAX_RECOGNITION_ROWS
            and sum(1 for row in self.rows if row.form.is_blank()) < EMPTY_RECOGNITION_ROWS
        ):
            self.rows.append_entry()

    def recognised(self):
        return [row.form.row() for row in self.rows if not row.form.is_blank()]


def recognition_rows(application, agreement):
    if application.recognitions:
        return [
            {
                "host_code": row.host_code,
                "host_title": row.host_title,
                "host_grade": row.host_grade,
                "home_grade": row.home_grade,
                "ects": row.ects,
                "home_course": row.home_course,
            }
            for row in application.recognitions
        ]
    if agreement is None or agreement.state != "approved":
        return []
    # The agreement lists courses abroad and at home separately: paired in their order, the
    # coordinator corrects what does not match.
    home_courses = agreement.courses_on("home")
    rows = []
    for index, course in enumerate(agreement.courses_on("host")):
        home = home_courses[index] if index < len(home_courses) else None
        rows.append(
            {
                "host_code": course.code,
                "host_title": course.title,
                "ects": course.ects,
                "home_course": " ".join(part for part in (home.code, home.title) if part) if home else None,
            }
        )
    return rows
