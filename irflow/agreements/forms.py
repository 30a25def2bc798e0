"""The learning agreement form: the language of instruction and two lists of courses."""

from flask_babel import lazy_gettext as _l
from wtforms import FieldList, FormField, HiddenField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..forms import FlaskForm, Form
from ..web.forms import LocalDecimalField, strip_text

# Rows shown for courses: those written and this many empty ones, up to MAX_COURSES.
EMPTY_COURSE_ROWS = 3
MAX_COURSES = 30


class CourseRowForm(Form):
    """One course. A row left entirely empty is ignored."""

    code = StringField(_l("Code"), filters=[strip_text], validators=[Optional(), Length(max=40)])
    title = StringField(_l("Course title"), filters=[strip_text], validators=[Optional(), Length(max=300)])
    ects = LocalDecimalField(_l("ECTS"), places=1, validators=[Optional(), NumberRange(min=0.5, max=60)])
    semester = StringField(_l("Semester"), filters=[strip_text], validators=[Optional(), Length(max=40)])

    def is_blank(self):
        return (
            not (self.code.data or self.title.data or self.semester.data)
            and self.ects.data is None
            and not (self.ects.raw_data and self.ects.raw_data[0].strip())
        )

    def validate(self, extra_validators=None):
        if self.is_blank():
            for field in self:
                field.errors = []
            return True
        ok = super().validate(extra_validators)
        if not self.title.data:
            self.title.errors.append(_l("Give the course's title."))
            ok = False
        if self.ects.data is None and not self.ects.errors:
            self.ects.errors.append(_l("Give the course's ECTS credits."))
            ok = False
        return ok

    def row(self):
        return (self.code.data or None, self.title.data, self.ects.data, self.semester.data or None)


class LearningAgreementForm(FlaskForm):
    language_of_instruction = StringField(
        _l("Language of instruction"),
        filters=[strip_text],
        validators=[DataRequired(message=_l("Give the language of instruction.")), Length(max=60)],
    )
    host = FieldList(FormField(CourseRowForm), label=_l("Courses at the host"), max_entries=MAX_COURSES)
    home = FieldList(FormField(CourseRowForm), label=_l("Recognised at home as"), max_entries=MAX_COURSES)
    version = HiddenField()

    def fill_from(self, agreement):
        self.language_of_instruction.data = agreement.language_of_instruction if agreement else None
        self.version.data = agreement.version if agreement else ""
        for side in ("host", "home"):
            rows = getattr(self, side)
            while rows.entries:
                rows.pop_entry()
            for course in agreement.courses_on(side) if agreement else []:
                rows.append_entry(
                    {"code": course.code, "title": course.title, "ects": course.ects, "semester": course.semester}
                )
        self.add_empty_rows()

    def add_empty_rows(self):
        for rows in (self.host, self.home):
            while len(rows.entries) < MAX_COURSES and sum(1 for row in rows if row.form.is_blank()) < EMPTY_COURSE_ROWS:
                rows.append_entry()

    def courses(self, side):
        return [row.form.row() for row in getattr(self, side) if not row.form.is_blank()]
