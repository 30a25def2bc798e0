from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectField
from wtforms.fields import SelectChoice
from wtforms.validators import StopValidation

from ..countries import country_choices, is_country
from ..forms import FlaskForm
from ..isced import is_isced_code, isced_choices
from ..models.participant_data import GENDERS, PREVIOUS_MONTHS_MAX, STUDY_CYCLES
from ..web.forms import LocalDecimalField

AGE_MIN = 15
AGE_MAX = 100
YES_NO = {"yes": _l("Yes"), "no": _l("No")}


def age_on(birth_date, today):
    """Full years from `birth_date` to `today`."""
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def _with_placeholder(pairs):
    return [SelectChoice("", _l("— choose —"))] + [SelectChoice(value, label) for value, label in pairs]


def _stop_on_process_errors(field):
    # What could not be read ("Not a valid date value.") is the field's one message.
    if field.process_errors:
        raise StopValidation


class ParticipantDataForm(FlaskForm):
    """Every field is needed by the Beneficiary Module: the form saves only complete data."""

    version = HiddenField()
    birth_date = DateField(_l("Date of birth"))
    gender = SelectField(_l("Gender"), choices=[], validate_choice=False)
    nationality = SelectField(_l("Nationality"), choices=[], validate_choice=False)
    isced_code = SelectField(
        _l("Field of education (ISCED-F 2013)"),
        choices=[],
        validate_choice=False,
        description=_l(
            "The field of your studies or, for staff, of your teaching or work, as the host will record it."
        ),
    )
    study_cycle = SelectField(_l("Study cycle"), choices=[], validate_choice=False)
    fewer_opportunities = SelectField(
        _l("Participant with fewer opportunities"),
        choices=[],
        validate_choice=False,
        description=_l(
            "For example economic, social, geographical or health obstacles. "
            "Seen only by you, the head of the department and your faculty's coordinators."
        ),
    )
    special_needs = SelectField(
        _l("Special needs"),
        choices=[],
        validate_choice=False,
        description=_l(
            "A physical, mental or health condition that needs support abroad. "
            "Seen only by you, the head of the department and your faculty's coordinators."
        ),
    )
    # Text, not type=number: a browser would silently drop "1,5".
    previous_mobility_months = LocalDecimalField(
        _l("Months of earlier Erasmus mobility in this study cycle"),
        places=1,
        description=_l("0 if none; for example 4,5."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gender.choices = _with_placeholder(GENDERS.items())
        self.nationality.choices = _with_placeholder(country_choices())
        # Grouped by broad field: 216 options are found by the broad field, or by typing the code.
        self.isced_code.choices = [SelectChoice("", _l("— choose —"))] + [
            SelectChoice(code, label, optgroup=group) for code, label, group in isced_choices()
        ]
        self.study_cycle.choices = _with_placeholder(STUDY_CYCLES.items())
        self.fewer_opportunities.choices = _with_placeholder(YES_NO.items())
        self.special_needs.choices = _with_placeholder(YES_NO.items())

    def validate_birth_date(self, field):
        _stop_on_process_errors(field)
        if field.data is None:
            raise StopValidation(_l("Enter the date of birth."))
        today = date.today()
        if field.data >= today:
            raise StopValidation(_l("The date of birth must be in the past."))
        age = age_on(field.data, today)
        if age < AGE_MIN or age > AGE_MAX:
            raise StopValidation(
                _l("Check the date of birth: a participant is %(min)s to %(max)s years old.", min=AGE_MIN, max=AGE_MAX)
            )

    def validate_gender(self, field):
        if field.data not in GENDERS:
            raise StopValidation(_l("Choose the gender from the list."))

    def validate_nationality(self, field):
        if not is_country(field.data):
            raise StopValidation(_l("Choose the nationality from the list of countries."))

    def validate_isced_code(self, field):
        if not is_isced_code(field.data):
            raise StopValidation(_l("Choose the field of education from the list."))

    def validate_study_cycle(self, field):
        if field.data not in STUDY_CYCLES:
            raise StopValidation(_l("Choose the study cycle from the list."))

    def validate_fewer_opportunities(self, field):
        if field.data not in YES_NO:
            raise StopValidation(_l("Answer yes or no."))

    def validate_special_needs(self, field):
        if field.data not in YES_NO:
            raise StopValidation(_l("Answer yes or no."))

    def validate_previous_mobility_months(self, field):
        _stop_on_process_errors(field)
        value = field.data
        if value is None:
            raise StopValidation(_l("Enter the number of months (0 if none)."))
        if not value.is_finite() or value < 0 or value > PREVIOUS_MONTHS_MAX:
            raise StopValidation(_l("Enter a number of months from 0 to %(max)s.", max=PREVIOUS_MONTHS_MAX))
        try:
            exact = value == value.quantize(Decimal("0.1"))
        except InvalidOperation:
            exact = False
        if not exact:
            raise StopValidation(_l("Give the months with at most one decimal place."))

    def fill_from(self, participant_data):
        self.version.data = participant_data.version if participant_data is not None else 0
        if participant_data is None:
            return
        self.birth_date.data = participant_data.birth_date
        self.gender.data = participant_data.gender
        self.nationality.data = participant_data.nationality
        self.isced_code.data = participant_data.isced_code
        self.study_cycle.data = participant_data.study_cycle
        self.fewer_opportunities.data = "yes" if participant_data.fewer_opportunities else "no"
        self.special_needs.data = "yes" if participant_data.special_needs else "no"
        self.previous_mobility_months.data = participant_data.previous_mobility_months

    def participant_fields(self):
        """The data as typed, cleaned: operations.save_participant_data's keyword arguments."""
        return {
            "birth_date": self.birth_date.data,
            "gender": self.gender.data,
            "nationality": self.nationality.data,
            "isced_code": self.isced_code.data,
            "study_cycle": self.study_cycle.data,
            "fewer_opportunities": self.fewer_opportunities.data == "yes",
            "special_needs": self.special_needs.data == "yes",
            "previous_mobility_months": self.previous_mobility_months.data.quantize(Decimal("0.1")),
        }
