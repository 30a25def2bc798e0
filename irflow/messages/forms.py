"""The forms of the messages pages: writing to a group (and sending what the preview showed),
and the head's text of an automatic notice."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp, ValidationError
from wtforms.widgets import HiddenInput

from ..forms import FlaskForm
from ..web.forms import strip_text
from ..workflow.notice_texts import BODY_MAX_LENGTH, SUBJECT_MAX_LENGTH, text_problem
from .queries import CALL_GROUPS, GROUP_LABELS


def plain_text(value):
    """Line ends as one character, no blank lines or spaces at either end."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip() if isinstance(value, str) else value


def placeholders_well_formed(form, field):
    problem = text_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


def subject_field():
    return StringField(
        _l("Subject"),
        filters=[strip_text],
        validators=[DataRequired(_l("Enter the subject.")), Length(max=SUBJECT_MAX_LENGTH), placeholders_well_formed],
    )


def body_field():
    return TextAreaField(
        _l("Message"),
        filters=[plain_text],
        validators=[DataRequired(_l("Write the message.")), Length(max=BODY_MAX_LENGTH), placeholders_well_formed],
        render_kw={"rows": 12},
    )


class ComposeForm(FlaskForm):
    """The group, its call, subject and body. The chosen applications come as repeated
    `application_ids` (read by the view, checked against what the sender may see)."""

    group = SelectField(_l("Recipients"), choices=[])
    call = SelectField(
        _l("Call"),
        choices=[],
        default="",
        description=_l("Needed for those selected and for the waiting list; narrows the other groups to one call."),
    )
    subject = subject_field()
    body = body_field()

    def __init__(self, formdata, calls, application_ids=(), **kwargs):
        super().__init__(formdata, **kwargs)
        self.application_ids = tuple(application_ids)
        groups = [group for group in GROUP_LABELS if group != "applications" or self.application_ids]
        self.group.choices = [(group, GROUP_LABELS[group]) for group in groups]
        self.call.choices = [("", _l("All calls"))] + [
            (str(call_id), f"{title} ({year})") for call_id, title, year in calls
        ]
        if self.application_ids and not self.group.data:
            self.group.data = "applications"

    def validate_call(self, field):
        if self.group.data in CALL_GROUPS and not field.data:
            raise ValidationError(_l("Choose the call."))

    def call_id(self):
        return int(self.call.data) if self.call.data and self.group.data != "applications" else None


class SendForm(ComposeForm):
    """What the preview showed, sent: `key` makes a second submission of it send nothing,
    `expected` is the number of recipients the preview counted."""

    key = HiddenField(validators=[InputRequired(), Regexp(r"^[0-9a-f]{32}$")])
    expected = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1)])


class NoticeTextForm(FlaskForm):
    """The head's subject and body of one notice in one language."""

    subject = subject_field()
    body = body_field()
