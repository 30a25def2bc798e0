from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import Optional, ValidationError

from ..forms import FlaskForm
from ..models.base import ROLES
from ..models.security_event import EVENT_KIND_LABELS
from ..web.forms import CheckboxListField, EmptyForm, FilterForm


class UserSearchForm(FilterForm):
    q = StringField(_l("Name or e-mail"))
    role = SelectField(_l("Role"), choices=[], default="")
    status = SelectField(_l("Status"), choices=[], default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [("", _l("Any role"))] + [(key, label) for key, label in ROLES.items()]
        self.status.choices = [
            ("", _l("Active and deactivated")),
            ("active", _l("Active")),
            ("inactive", _l("Deactivated")),
        ]


class UserAccessForm(FlaskForm):
    roles = CheckboxListField(_l("Roles"), choices=[])
    coordinated_faculties = CheckboxListField(_l("Faculties coordinated"), coerce=int, choices=[])

    def __init__(self, faculties, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles.choices = [(key, label) for key, label in ROLES.items()]
        self.coordinated_faculties.choices = [(faculty.id, faculty.name) for faculty in faculties]


class ActiveForm(EmptyForm):
    """A POST-only button: activate or deactivate an account."""

    active = HiddenField()


def _sane_year(form, field):
    if field.data is not None and not 2000 <= field.data.year <= 2100:
        raise ValidationError(_l("Enter a date between the years 2000 and 2100."))


class EventFilterForm(FilterForm):
    user = StringField(_l("User (e-mail or name)"))
    kind = SelectField(_l("Event"), choices=[], default="")
    # Dates outside these years are no filter anyone means (and year 1 or 9999 has no UTC day).
    date_from = DateField(_l("From"), validators=[Optional(), _sane_year])
    date_to = DateField(_l("To"), validators=[Optional(), _sane_year])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [("", _l("Any event"))] + list(EVENT_KIND_LABELS.items())
