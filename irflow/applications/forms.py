from decimal import Decimal

from flask_babel import format_decimal, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import Length, Optional, StopValidation, ValidationError
from wtforms.widgets import TextInput

from ..countries import country_name
from ..forms import FlaskForm
from ..models.base import CEFR_LEVELS, DOCUMENT_KINDS
from ..services import storage
from ..web.forms import LocalDecimalField

MOTIVATION_MAX = 8000
COMMENT_MAX = 5000


def place_label(place):
    return "{name} ({country}) — {places}, {months}".format(
        name=place.partner.name,
        country=country_name(place.partner.country),
        places=ngettext("%(num)d place", "%(num)d places", place.places),
        months=ngettext("%(num)d month", "%(num)d months", place.months),
    )


def _int_or_none(value):
    if value in (None, ""):
        return None
    return int(value)


class ApplicationForm(FlaskForm):
    """The applicant's details. Nothing here is required: a draft may be saved half done,
    and completeness is checked when it is submitted (workflow.guards)."""

    version = HiddenField()
    first_choice = SelectField(_l("First choice of host"), coerce=_int_or_none, choices=[])
    second_choice = SelectField(_l("Second choice (optional)"), coerce=_int_or_none, choices=[])
    third_choice = SelectField(_l("Third choice (optional)"), coerce=_int_or_none, choices=[])
    motivation = TextAreaField(
        _l("Motivation"),
        validators=[Optional(), Length(max=MOTIVATION_MAX)],
        description=_l("Why this mobility, what you will study or do there, and how it helps your work at home."),
        render_kw={"rows": 8},
    )
    # A text box, not type=number: a browser would silently drop "4,5" or a typo, and the
    # user would not see what they typed next to the error.
    average_grade = LocalDecimalField(
        _l("Average grade"),
        places=2,
        validators=[Optional()],
        widget=TextInput(),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    language = StringField(
        _l("Language of the mobility"),
        validators=[Optional(), Length(max=40)],
        description=_l("For example English or German."),
    )
    cefr_level = SelectField(_l("Your level in that language (CEFR)"), choices=[], default="")
    planned_start = DateField(_l("Planned start"), validators=[Optional()])
    planned_end = DateField(_l("Planned end"), validators=[Optional()])

    CHOICE_FIELDS = ("first_choice", "second_choice", "third_choice")

    def __init__(self, call, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.call = call
        options = [SelectChoice(place.id, place_label(place)) for place in call.places]
        self.first_choice.choices = [SelectChoice("", _l("— choose a host —"))] + options
        self.second_choice.choices = [SelectChoice("", _l("— none —"))] + options
        self.third_choice.choices = [SelectChoice("", _l("— none —"))] + options
        self.cefr_level.choices = [SelectChoice("", _l("— choose —"))] + [
            SelectChoice(level, level) for level in CEFR_LEVELS
        ]
        self.average_grade.description = _l(
            "On the scale of this call: from 0 to %(scale)s.", scale=_format_scale(call.grade_scale)
        )

    def validate_second_choice(self, field):
        self._check_choice(field, self.first_choice, _l("Choose the first host before the second."))

    def validate_third_choice(self, field):
        self._check_choice(field, self.second_choice, _l("Choose the second host before the third."))

    def _check_choice(self, field, earlier, message):
        if field.data is None:
            return
        if earlier.data is None:
            raise ValidationError(message)
        position = self.CHOICE_FIELDS.index(field.name)
        before = [getattr(self, name).data for name in self.CHOICE_FIELDS[:position]]
        if field.data in before:
            raise ValidationError(_l("You have chosen this host already."))

    def validate_average_grade(self, field):
        value = field.data
        if value is None:
            return
        if not value.is_finite() or value < 0:
            raise StopValidation(_l("Enter a grade of 0 or more."))
        if value > Decimal(self.call.grade_scale):
            raise StopValidation(
                _l(
                    "The grade cannot be above %(scale)s, the top of this call's scale.",
                    scale=_format_scale(self.call.grade_scale),
                )
            )

    def validate_planned_end(self, field):
        if field.data and self.planned_start.data and field.data <= self.planned_start.data:
            raise ValidationError(_l("The end must be after the start."))

    def chosen_place_ids(self):
        return [getattr(self, name).data for name in self.CHOICE_FIELDS if getattr(self, name).data is not None]

    def values(self):
        """The validated details as operations.update_application takes them (without the version)."""
        return {
            "motivation": self.motivation.data,
            "average_grade": self.average_grade.data,
            "language": self.language.data,
            "cefr_level": self.cefr_level.data,
            "planned_start": self.planned_start.data,
            "planned_end": self.planned_end.data,
            "place_ids": self.chosen_place_ids(),
        }

    def fill_from(self, application):
        choices = {choice.rank: choice.call_place_id for choice in application.choices}
        for rank, name in enumerate(self.CHOICE_FIELDS, 1):
            getattr(self, name).data = choices.get(rank)
        self.motivation.data = application.motivation
        self.average_grade.data = application.average_grade
        self.language.data = application.language
        self.cefr_level.data = application.cefr_level or ""
        self.planned_start.data = application.planned_start
        self.planned_end.data = application.planned_end
        self.version.data = application.version


def _format_scale(scale):
    return format_decimal(Decimal(scale))


class UploadForm(FlaskForm):
    kind = SelectField(_l("Kind of document"), choices=[])
    file = FileField(_l("File"), description=_l("PDF, JPEG or PNG."), render_kw={"accept": storage.ACCEPT})

    def __init__(self, kinds, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(kind, DOCUMENT_KINDS[kind]) for kind in kinds]


class ActionForm(FlaskForm):
    """The fields posted to the fire route; the form itself is rendered per action."""

    version = HiddenField()
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=COMMENT_MAX)])
    date = DateField(_l("Date"), validators=[Optional()])
