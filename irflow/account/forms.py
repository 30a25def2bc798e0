from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from ..auth.passwords import password_problems
from ..forms import FlaskForm
from ..models.base import CATEGORIES, LOCALES
from ..web.forms import int_or_none, strip_text

DEFAULT_TIMEZONE = "Asia/Dushanbe"
# The zones people at a Tajik university and their partners live in; a zone set otherwise
# (by the office) is offered too, so saving the form never changes it unasked.
COMMON_TIMEZONES = (
    "Asia/Dushanbe",
    "Asia/Tashkent",
    "Asia/Samarkand",
    "Asia/Almaty",
    "Asia/Bishkek",
    "Asia/Ashgabat",
    "Asia/Kabul",
    "Asia/Tehran",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Urumqi",
    "Asia/Shanghai",
    "Asia/Seoul",
    "Asia/Tokyo",
    "Asia/Dubai",
    "Asia/Baku",
    "Asia/Tbilisi",
    "Asia/Yerevan",
    "Europe/Istanbul",
    "Europe/Moscow",
    "Europe/Minsk",
    "Europe/Kyiv",
    "Europe/Riga",
    "Europe/Vilnius",
    "Europe/Tallinn",
    "Europe/Helsinki",
    "Europe/Warsaw",
    "Europe/Prague",
    "Europe/Vienna",
    "Europe/Budapest",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Brussels",
    "Europe/Amsterdam",
    "Europe/Rome",
    "Europe/Madrid",
    "Europe/Lisbon",
    "Europe/London",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "UTC",
)


def is_time_zone(name):
    if not name or name not in available_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def latin_only(form, field):
    if any(ord(character) > 0x24F for character in field.data or ""):
        raise ValidationError(_l("Use Latin letters only, as in your passport."))


class ProfileForm(FlaskForm):
    full_name_native = StringField(
        _l("Full name"),
        validators=[DataRequired(), Length(max=200)],
        filters=[strip_text],
        description=_l("As you write it, for example Раҳимов Алишер Ҷамшедович."),
        render_kw={"autocomplete": "name"},
    )
    full_name_latin = StringField(
        _l("Full name in Latin letters"),
        validators=[DataRequired(), Length(max=200), latin_only],
        filters=[strip_text],
        description=_l("Exactly as in your passport, for example RAHIMOV ALISHER."),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
    phone = TelField(
        _l("Phone"), validators=[Optional(), Length(max=40)], filters=[strip_text], render_kw={"autocomplete": "tel"}
    )
    category = SelectField(_l("I am a"), choices=[], validators=[DataRequired(message=_l("Choose what you are."))])
    faculty_id = SelectField(
        _l("Faculty"), coerce=int_or_none, choices=[], validators=[DataRequired(message=_l("Choose your faculty."))]
    )
    locale = SelectField(_l("Language"), choices=[(code, name) for code, name in LOCALES.items()])
    timezone = SelectField(_l("Time zone"), choices=[], description=_l("Dates and times are shown in this zone."))

    def __init__(self, faculties, current_timezone, faculty_and_category_open, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [(key, str(label)) for key, label in CATEGORIES.items()]
        self.faculty_id.choices = [(faculty.id, faculty.name) for faculty in faculties]
        zones = list(COMMON_TIMEZONES)
        if current_timezone and current_timezone not in zones and is_time_zone(current_timezone):
            zones.insert(0, current_timezone)
        self.timezone.choices = [(zone, zone.replace("_", " ")) for zone in zones]
        if not faculty_and_category_open:
            # Shown as text, neither rendered as fields nor read from the request.
            del self.category
            del self.faculty_id

    def validate_timezone(self, field):
        if not is_time_zone(field.data):
            raise ValidationError(_l("Choose a time zone from the list."))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=1024)],
        description=_l("At least 10 characters; a phrase of several words is easy to remember."),
        render_kw={"autocomplete": "new-password"},
    )
    new_password_again = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )

    def __init__(self, email, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._email = email

    def validate_new_password(self, field):
        problems = password_problems(field.data or "", self._email)
        if problems:
            raise ValidationError(" ".join(problems))
