"""Forms of the partners pages: the list's filters, the partner and agreement editors."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, FloatField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from ..countries import country_choices, is_country
from ..forms import FlaskForm
from ..models.base import AGREEMENT_DIRECTIONS, AGREEMENT_LEVELS, CEFR_LEVELS, MOBILITY_TYPES, PARTNER_KINDS
from ..web.forms import CheckboxListField, int_or_none, options, strip_text, translated_fields, web_address

MAX_PER_YEAR = 10000


class PartnerFilterForm(FlaskForm):
    """GET filters: no CSRF, they change nothing."""

    class Meta:
        csrf = False

    country = SelectField(_l("Country"), choices=[], default="")
    kind = SelectField(_l("Kind"), choices=[], default="")

    def __init__(self, countries, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._countries = set(countries)
        self.country.choices = options([("", _l("All countries"))] + country_choices(countries))
        self.kind.choices = options([("", _l("All kinds"))] + list(PARTNER_KINDS.items()))

    def filter_values(self):
        country = (self.country.data or "").upper()
        country = country if country in self._countries else ""
        kind = self.kind.data if self.kind.data in PARTNER_KINDS else ""
        self.country.data, self.kind.data = country, kind
        return country or None, kind or None

    def filter_args(self):
        """The filters in force, as query arguments for the pager and the Clear link."""
        country, kind = self.country.data, self.kind.data
        return {key: value for key, value in (("country", country), ("kind", kind)) if value}


class CountryField(SelectField):
    """An ISO 3166 alpha-2 code from Babel's territory list, offered by name."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = self.data.strip().upper()

    def pre_validate(self, form):
        if not is_country(self.data):
            raise StopValidation(_l("Choose a country from the list (an ISO 3166 two-letter code)."))


def upper_or_none(value):
    return value.upper() if isinstance(value, str) else value


class PartnerForm(FlaskForm):
    name = StringField(
        _l("Name"), filters=[strip_text], validators=[DataRequired(_l("Enter the name.")), Length(max=300)]
    )
    country = CountryField(_l("Country"), choices=[])
    city = StringField(_l("City"), filters=[strip_text], validators=[Optional(), Length(max=120)])
    latitude = FloatField(
        _l("Latitude"),
        validators=[Optional(), NumberRange(-90, 90, _l("Enter a latitude between -90 and 90."))],
        description=_l("Degrees, north positive (Berlin: 52.52). Gives the travel distance band of grants."),
    )
    longitude = FloatField(
        _l("Longitude"),
        validators=[Optional(), NumberRange(-180, 180, _l("Enter a longitude between -180 and 180."))],
        description=_l("Degrees, east positive (Berlin: 13.405)."),
    )
    kind = SelectField(_l("Kind"), choices=[])
    oid = StringField(
        _l("Erasmus+ organisation ID (OID)"),
        filters=[strip_text, upper_or_none],
        validators=[Optional(), Regexp(r"E[0-9]{8}\Z", message=_l("Enter the OID as E followed by 8 digits."))],
        description=_l("E and 8 digits, from the Organisation Registration System. Needed for the Beneficiary Module."),
    )
    erasmus_code = StringField(
        _l("Erasmus code"),
        filters=[strip_text],
        validators=[Optional(), Length(max=20)],
        description=_l("Only for higher education institutions that have one, for example D  BERLIN01."),
    )
    description_en, description_ru, description_tg = translated_fields(
        _l("Description"), TextAreaField, max_length=20000, render_kw={"rows": 4}
    )
    website = StringField(_l("Website"), validators=[Length(max=300), web_address])
    contact_email = StringField(
        _l("Contact e-mail"),
        filters=[strip_text],
        validators=[Optional(), Length(max=254), Email(_l("Enter a valid e-mail address."))],
        description=_l("Where nominations are sent."),
    )

    def __init__(self, taken_names=(), *args, taken_oids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._taken_oids = set(taken_oids)
        self.country.choices = options([("", _l("— choose a country —"))] + country_choices())
        self.kind.choices = options(PARTNER_KINDS.items())
        self._taken = {name.casefold() for name in taken_names}

    def validate_name(self, field):
        if field.data and field.data.casefold() in self._taken:
            raise ValidationError(_l("A partner with this name exists already."))

    def validate_oid(self, field):
        if field.data and field.data in self._taken_oids:
            raise ValidationError(_l("Another partner has this OID."))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        # One without the other places the city nowhere (Optional() skips an empty field's own checks).
        if not (self.latitude.errors or self.longitude.errors):
            missing = next((f for f in (self.latitude, self.longitude) if f.data is None), None)
            if missing is not None and (self.latitude.data, self.longitude.data) != (None, None):
                missing.errors = [*missing.errors, _l("Enter both the latitude and the longitude, or neither.")]
                return False
        return valid


class AgreementForm(FlaskForm):
    title = StringField(
        _l("Title"),
        filters=[strip_text],
        validators=[Optional(), Length(max=300)],
        description=_l("For example: Inter-institutional agreement 2025–2029."),
    )
    program = SelectField(_l("Program"), coerce=int_or_none, choices=[], validate_choice=False)
    signed_on = DateField(_l("Signed on"), validators=[Optional()])
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_until = DateField(_l("Valid until"), validators=[Optional()])
    places_per_year = IntegerField(_l("Places per year"), validators=[Optional()])
    months_per_year = IntegerField(_l("Months per year"), validators=[Optional()])
    days_per_year = IntegerField(_l("Days per year"), validators=[Optional()], description=_l("For staff mobility."))
    direction = SelectField(_l("Direction"), choices=[], default="both")
    mobility_types = CheckboxListField(_l("Mobility types covered"), choices=[])
    levels = CheckboxListField(_l("Levels covered"), choices=[])
    isced_code = StringField(
        _l("Subject area (ISCED-F 2013)"),
        filters=[strip_text],
        validators=[
            Optional(),
            Regexp(r"^[0-9]{2,4}$", message=_l("Enter an ISCED-F 2013 code of 2 to 4 digits, for example 0613.")),
        ],
        description=_l("The field of education's code, for example 0613 (software development)."),
    )
    language = StringField(
        _l("Language of instruction required"),
        filters=[strip_text],
        validators=[Optional(), Length(max=60)],
        description=_l("For example: English."),
    )
    language_level = SelectField(_l("Language level (CEFR)"), choices=[], default="")
    contact_name = StringField(
        _l("Partner's contact person"), filters=[strip_text], validators=[Optional(), Length(max=200)]
    )
    contact_email = StringField(
        _l("Partner's contact e-mail"),
        filters=[strip_text],
        validators=[Optional(), Length(max=254), Email(_l("Enter a valid e-mail address."))],
    )
    signed_copy = FileField(_l("Signed copy"), description=_l("PDF, JPEG or PNG."))
    remove_signed_copy = BooleanField(_l("Remove the signed copy"))

    def __init__(self, programs, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.program.choices = options(
            [("", _l("— no program —"))] + [(program.id, program.name) for program in programs]
        )
        self._program_ids = {program.id for program in programs}
        self.direction.choices = options(AGREEMENT_DIRECTIONS.items())
        self.mobility_types.choices = options(MOBILITY_TYPES.items())
        self.levels.choices = options(AGREEMENT_LEVELS.items())
        self.language_level.choices = options([("", _l("— no level —"))] + [(level, level) for level in CEFR_LEVELS])

    def uploaded_copy(self):
        """The file chosen for the signed copy, or None when none was chosen."""
        upload = self.signed_copy.data
        return upload if upload is not None and getattr(upload, "filename", "") else None

    def validate_program(self, field):
        if field.data is not None and field.data not in self._program_ids:
            raise ValidationError(_l("Choose a program from the list."))

    def validate_valid_until(self, field):
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError(_l("The end of validity cannot be before its start."))

    def validate_places_per_year(self, field):
        if field.data is not None and field.data < 0:
            raise ValidationError(_l("The number of places cannot be negative."))
        if field.data is not None and field.data > MAX_PER_YEAR:
            raise ValidationError(_l("Enter at most %(max)s.", max=MAX_PER_YEAR))

    def validate_months_per_year(self, field):
        if field.data is not None and field.data < 0:
            raise ValidationError(_l("The number of months cannot be negative."))
        if field.data is not None and field.data > MAX_PER_YEAR:
            raise ValidationError(_l("Enter at most %(max)s.", max=MAX_PER_YEAR))

    def validate_days_per_year(self, field):
        if field.data is not None and field.data < 0:
            raise ValidationError(_l("The number of days cannot be negative."))
        if field.data is not None and field.data > MAX_PER_YEAR:
            raise ValidationError(_l("Enter at most %(max)s.", max=MAX_PER_YEAR))

    def validate_mobility_types(self, field):
        if not field.data:
            raise ValidationError(_l("Tick at least one mobility type."))

    def validate_levels(self, field):
        if not field.data:
            raise ValidationError(_l("Tick at least one level."))

    def validate_language_level(self, field):
        if field.data and not self.language.data:
            raise ValidationError(_l("Enter the language this level is required in."))
        if self.language.data and not field.data:
            raise ValidationError(_l("Choose the level required in %(language)s.", language=self.language.data))
