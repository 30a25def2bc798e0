"""The learning agreement form (the language of instruction and two lists of courses) and the
staff mobility agreement form (days, teaching hours and programme)."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import FlaskForm, Form
from ..web.forms import LocalDecimalField, strip_text
from .operations import staff_schedule_problems

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


# Changes during the mobility: why a course is removed or added.
CHANGE_REASON_CHOICES = (
    ("cancelled", _l("Course cancelled by the host")),
    ("timetable", _l("Timetable clash")),
    ("language", _l("Language of instruction")),
    ("other", _l("Other reason")),
)
EMPTY_ADDED_ROWS = 2


def reason_label(reason):
    return dict(CHANGE_REASON_CHOICES).get(reason, reason)


def _validate_reason(form):
    """The reason is required; "other" needs words."""
    ok = True
    if form.reason.data not in dict(CHANGE_REASON_CHOICES):
        form.reason.errors = [*form.reason.errors, _l("Give the reason.")]
        ok = False
    elif form.reason.data == "other" and not form.reason_text.data:
        form.reason_text.errors = [*form.reason_text.errors, _l("Say what the reason is.")]
        ok = False
    return ok


class RemovedCourseForm(Form):
    """One course in force: removed when `remove` is "y"."""

    course_id = HiddenField()
    remove = SelectField(_l("Remove"), choices=(("", _l("Keep")), ("y", _l("Remove"))), validate_choice=False)
    reason = SelectField(_l("Reason"), choices=(("", _l("Choose…")), *CHANGE_REASON_CHOICES), validate_choice=False)
    reason_text = StringField(_l("Reason, in words"), filters=[strip_text], validators=[Optional(), Length(max=500)])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        return (_validate_reason(self) and ok) if self.remove.data == "y" else ok


class AddedCourseForm(CourseRowForm):
    reason = SelectField(_l("Reason"), choices=(("", _l("Choose…")), *CHANGE_REASON_CHOICES), validate_choice=False)
    reason_text = StringField(_l("Reason, in words"), filters=[strip_text], validators=[Optional(), Length(max=500)])

    def is_blank(self):
        return super().is_blank() and not self.reason.data and not self.reason_text.data

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        return (_validate_reason(self) and ok) if not self.is_blank() else ok


class LearningAgreementChangeForm(FlaskForm):
    """The courses in force, each kept or removed, and courses added on either side."""

    removed = FieldList(FormField(RemovedCourseForm), max_entries=2 * MAX_COURSES)
    host = FieldList(FormField(AddedCourseForm), label=_l("Courses added at the host"), max_entries=MAX_COURSES)
    home = FieldList(FormField(AddedCourseForm), label=_l("Home courses added"), max_entries=MAX_COURSES)
    version = HiddenField()

    def fill_from(self, agreement, change):
        self.version.data = change.version if change is not None else ""
        rows = {row.course_id: row for row in change.rows if row.action == "removed"} if change else {}
        for side in ("host", "home"):
            for course in agreement.courses_on(side):
                row = rows.get(course.id)
                self.removed.append_entry(
                    {
                        "course_id": course.id,
                        "remove": "y" if row else "",
                        "reason": row.reason if row else "",
                        "reason_text": row.reason_text if row else "",
                    }
                )
            for row in change.rows if change else []:
                if row.action == "added" and row.side == side:
                    getattr(self, side).append_entry(
                        {
                            "code": row.code,
                            "title": row.title,
                            "ects": row.ects,
                            "semester": row.semester,
                            "reason": row.reason,
                            "reason_text": row.reason_text,
                        }
                    )
        self.add_empty_rows()

    def add_empty_rows(self):
        for rows in (self.host, self.home):
            while len(rows.entries) < MAX_COURSES and sum(1 for row in rows if row.form.is_blank()) < EMPTY_ADDED_ROWS:
                rows.append_entry()

    def removals(self):
        result = []
        for row in self.removed:
            if row.form.remove.data == "y":
                try:
                    course_id = int(row.form.course_id.data)
                except (TypeError, ValueError):
                    course_id = None
                result.append((course_id, row.form.reason.data, row.form.reason_text.data))
        return result

    def additions(self):
        return [
            (side, *row.form.row(), row.form.reason.data, row.form.reason_text.data)
            for side in ("host", "home")
            for row in getattr(self, side)
            if not row.form.is_blank()
        ]


# Staff mobility agreement: the programme's fields, by column name.
STAFF_TEXT_FIELDS = ("objectives", "activities", "expected_outcomes")


class StaffAgreementForm(FlaskForm):
    """`mobility_type` (teaching or training) decides whether teaching hours are asked for."""

    first_day = DateField(
        _l("First day of the activity"), validators=[InputRequired(message=_l("Give the first day of the activity."))]
    )
    last_day = DateField(
        _l("Last day of the activity"), validators=[InputRequired(message=_l("Give the last day of the activity."))]
    )
    days = IntegerField(
        _l("Days of activity"),
        description=_l(
            "From 5 to 60 days of activity, travel not counted; no more than the days from the first to the last day."
        ),
        validators=[InputRequired(message=_l("Give the number of days of activity."))],
    )
    teaching_hours = IntegerField(
        _l("Teaching hours"),
        description=_l("At least 8 teaching hours in every started week of activity."),
        validators=[Optional(), NumberRange(min=0, max=1000)],
    )
    language = StringField(
        _l("Language of the activity"),
        filters=[strip_text],
        validators=[DataRequired(message=_l("Give the language of the activity.")), Length(max=60)],
    )
    objectives = TextAreaField(
        _l("Objectives"),
        filters=[strip_text],
        validators=[DataRequired(message=_l("Give the objectives of the mobility.")), Length(max=5000)],
    )
    activities = TextAreaField(
        _l("Activities (the programme)"),
        filters=[strip_text],
        validators=[DataRequired(message=_l("Describe the activities to be carried out.")), Length(max=5000)],
    )
    expected_outcomes = TextAreaField(
        _l("Expected outcomes"),
        filters=[strip_text],
        validators=[DataRequired(message=_l("Give the expected outcomes.")), Length(max=5000)],
    )
    version = HiddenField()

    def __init__(self, *args, mobility_type, **kwargs):
        super().__init__(*args, **kwargs)
        self.mobility_type = mobility_type
        if mobility_type != "teaching":
            del self.teaching_hours

    @property
    def is_teaching(self):
        return self.mobility_type == "teaching"

    def fill_from(self, agreement):
        self.version.data = agreement.version if agreement else ""
        if agreement is None:
            return
        for name in self.details():
            self[name].data = getattr(agreement, name)

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        problems = staff_schedule_problems(
            self.mobility_type,
            self.first_day.data,
            self.last_day.data,
            self.days.data,
            self.teaching_hours.data if self.is_teaching else None,
        )
        for name, message in problems.items():
            if not self[name].errors:
                self[name].errors = [*self[name].errors, message]
                ok = False
        return ok

    def details(self):
        names = ["first_day", "last_day", "days", "language", *STAFF_TEXT_FIELDS]
        if self.is_teaching:
            names.append("teaching_hours")
        return {name: self[name].data for name in names}
