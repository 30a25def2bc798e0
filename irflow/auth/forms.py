from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from ..forms import FlaskForm
from ..models.base import CATEGORIES, LOCALES
from .passwords import password_problems


def normalise_email(value):
    return (value or "").strip().lower()


def int_or_none(value):
    return int(value) if value not in (None, "") else None


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Length(max=254)],
        filters=[normalise_email],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=1024)], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField(_l("Keep me signed in on this computer"))
    next = HiddenField()


class SecondStepForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("The 6-digit code your authenticator app shows, or one of your recovery codes."),
        render_kw={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"},
    )


class RegistrationForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Email(message=_l("Enter a valid e-mail address.")), Length(max=254)],
        filters=[normalise_email],
        render_kw={"autocomplete": "email"},
    )
    full_name_native = StringField(
        _l("Full name"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("As you write it, for example Раҳимов Алишер Ҷамшедович."),
        render_kw={"autocomplete": "name"},
    )
    # Not the browser's saved name: that one is in the user's own script.
    full_name_latin = StringField(
        _l("Full name in Latin letters"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("Exactly as in your passport, for example RAHIMOV ALISHER."),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
    # Both start on an empty choice: a preselected first faculty would go unnoticed and send
    # the application to the wrong faculty's coordinator.
    category = SelectField(_l("I am a"), choices=[], validators=[DataRequired(message=_l("Choose what you are."))])
    faculty_id = SelectField(
        _l("Faculty"), coerce=int_or_none, choices=[], validators=[DataRequired(message=_l("Choose your faculty."))]
    )
    phone = TelField(_l("Phone"), validators=[Optional(), Length(max=40)], render_kw={"autocomplete": "tel"})
    locale = SelectField(_l("Language"), choices=[(code, name) for code, name in LOCALES.items()])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=1024)],
        description=_l("At least 10 characters; a phrase of several words is easy to remember."),
        render_kw={"autocomplete": "new-password"},
    )
    password_again = PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    # The template puts the link to the notice (/privacy) beside it.
    privacy_consent = BooleanField(
        _l("I have read the privacy notice and agree that irflow keeps and uses my data as it describes."),
        validators=[DataRequired(message=_l("Agree to the privacy notice to register."))],
    )

    def __init__(self, faculties, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [("", _l("Choose…"))] + [(key, str(label)) for key, label in CATEGORIES.items()]
        self.faculty_id.choices = [("", _l("Choose…"))] + [(faculty.id, faculty.name) for faculty in faculties]

    def validate_full_name_latin(self, field):
        if any(ord(ch) > 0x24F for ch in field.data):
            raise ValidationError(_l("Use Latin letters only, as in your passport."))

    def validate_password(self, field):
        problems = password_problems(field.data or "", self.email.data)
        if problems:
            raise ValidationError(" ".join(problems))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Email(message=_l("Enter a valid e-mail address.")), Length(max=254)],
        filters=[normalise_email],
        render_kw={"autocomplete": "email"},
    )


class NewPasswordForm(FlaskForm):
    """A new password, checked by the password rules against the account's e-mail."""

    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=1024)],
        description=_l("At least 10 characters; a phrase of several words is easy to remember."),
        render_kw={"autocomplete": "new-password"},
    )
    password_again = PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )

    def __init__(self, email, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = email

    def validate_password(self, field):
        problems = password_problems(field.data or "", self.account_email)
        if problems:
            raise ValidationError(" ".join(problems))
