"""The program editor."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..forms import FlaskForm
from ..models.base import PROGRAM_KINDS
from ..web.forms import options, strip_text, translated_fields, web_address


class ProgramForm(FlaskForm):
    name = StringField(
        _l("Name"), filters=[strip_text], validators=[DataRequired(_l("Enter the name.")), Length(max=300)]
    )
    kind = SelectField(_l("Kind"), choices=[])
    funder = StringField(
        _l("Funder"),
        filters=[strip_text],
        validators=[Optional(), Length(max=300)],
        description=_l("For example the European Commission or DAAD."),
    )
    description_en, description_ru, description_tg = translated_fields(
        _l("Description"), TextAreaField, max_length=20000, render_kw={"rows": 6}
    )
    website = StringField(_l("Website"), validators=[Length(max=300), web_address])

    def __init__(self, taken_names=(), *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = options(PROGRAM_KINDS.items())
        self._taken = {name.casefold() for name in taken_names}

    def validate_name(self, field):
        if field.data and field.data.casefold() in self._taken:
            raise ValidationError(_l("A program with this name exists already."))
