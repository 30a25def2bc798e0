"""The head's form of a call's grant rules: who pays, the rates by country group, the
travel support by distance band and the fewer-opportunities top-up, and the group of each
of the call's host countries."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, RadioField, SelectField
from wtforms.validators import InputRequired, NumberRange, StopValidation

from ..countries import country_name
from ..forms import FlaskForm
from ..models.grant import COUNTRY_GROUPS, DISTANCE_BANDS, GRANT_PAYERS, GREEN_TRAVEL_DAYS_MAX, TRAVEL_DAYS_MAX
from ..web.forms import int_or_none, options
from .compute import band_label

# A sanity bound: no Erasmus+ rate comes near it, a typing slip does.
MAX_AMOUNT = 100000


def _amount_field(label, description=None):
    return IntegerField(
        label,
        validators=[
            InputRequired(_l("Enter an amount in whole euros (0 if none).")),
            NumberRange(0, MAX_AMOUNT, _l("Enter a whole number of euros from 0 to 100000.")),
        ],
        description=description,
    )


class GrantRulesForm(FlaskForm):
    payer = SelectField(_l("Who pays"), choices=[])
    student_month_group1 = _amount_field(_l("Students, per month, group 1 (€)"))
    student_month_group2 = _amount_field(_l("Students, per month, group 2 (€)"))
    student_month_group3 = _amount_field(_l("Students, per month, group 3 (€)"))
    staff_day_group1 = _amount_field(_l("Staff, per day, group 1 (€)"))
    staff_day_group2 = _amount_field(_l("Staff, per day, group 2 (€)"))
    staff_day_group3 = _amount_field(_l("Staff, per day, group 3 (€)"))
    fewer_opportunities_month = _amount_field(
        _l("Top-up for fewer opportunities, per month (€)"),
        description=_l("Added to a student's individual support when their participant data says so."),
    )
    first_instalment_percent = IntegerField(
        _l("Paid before departure (%)"),
        default=70,
        validators=[
            InputRequired(_l("Enter the share paid before departure, from 1 to 100.")),
            NumberRange(1, 100, _l("Enter the share paid before departure, from 1 to 100.")),
        ],
        description=_l("The rest is paid once the participant's report is approved."),
    )
    # The rules' version when the form was shown: a save over a newer one is refused.
    version = HiddenField()

    def country_groups_by_country(self):
        return {country: self[f"group_{country}"].data for country in self.countries}

    def band_fields(self):
        """[(label, amount field, green field)] in band order, for the template."""
        return [
            (band_label(band), self[f"band{band}_amount"], self[f"band{band}_green"]) for band, _, _ in DISTANCE_BANDS
        ]

    def group_fields(self):
        return [self[f"group_{country}"] for country in self.countries]

    def fill_from(self, rules):
        for name in (
            "payer",
            "fewer_opportunities_month",
            "first_instalment_percent",
            "version",
            *(f"student_month_group{group}" for group in COUNTRY_GROUPS),
            *(f"staff_day_group{group}" for group in COUNTRY_GROUPS),
        ):
            self[name].data = getattr(rules, name)
        for row in rules.travel_bands:
            self[f"band{row.band}_amount"].data = row.amount
            self[f"band{row.band}_green"].data = row.green_amount
        for row in rules.country_groups:
            if row.country in self.countries:
                self[f"group_{row.country}"].data = row.country_group


def grant_rules_form(countries, **kwargs):
    """The form for a call whose hosts are in `countries` (ISO codes): one group per country."""

    class CallGrantRulesForm(GrantRulesForm):
        pass

    for band, _, _ in DISTANCE_BANDS:
        label = band_label(band)
        setattr(CallGrantRulesForm, f"band{band}_amount", _amount_field(_l("Travel %(band)s (€)", band=label)))
        setattr(CallGrantRulesForm, f"band{band}_green", _amount_field(_l("Green travel %(band)s (€)", band=label)))
    for country in countries:
        setattr(
            CallGrantRulesForm,
            f"group_{country}",
            SelectField(
                country_name(country),
                coerce=int_or_none,
                choices=[],
                validators=[InputRequired(_l("Choose the country group."))],
            ),
        )
    form = CallGrantRulesForm(**kwargs)
    form.countries = list(countries)
    form.payer.choices = options(GRANT_PAYERS.items())
    for country in countries:
        form[f"group_{country}"].choices = options(
            [("", _l("— choose a group —"))] + [(group, _l("Group %(group)s", group=group)) for group in COUNTRY_GROUPS]
        )
    return form


class GreenTravelForm(FlaskForm):
    """The participant's choice; `version` is the grant agreement's ("" before it exists)."""

    version = HiddenField()
    green_travel = RadioField(
        _l("How will you travel?"),
        choices=[
            ("yes", _l("Green travel: mostly by train, bus or a shared car")),
            ("no", _l("Otherwise (for example by plane)")),
        ],
        validate_choice=False,
    )

    def validate_green_travel(self, field):
        if field.data not in ("yes", "no"):
            raise StopValidation(_l("Choose how you will travel."))


class TravelDaysForm(FlaskForm):
    version = HiddenField()
    travel_days = IntegerField(
        _l("Travel days"),
        validators=[InputRequired(_l("Enter the number of travel days (0 if none)."))],
        description=_l(
            "Travel days added to the stay for individual support: up to %(most)s, %(green)s with green travel.",
            most=TRAVEL_DAYS_MAX,
            green=GREEN_TRAVEL_DAYS_MAX,
        ),
    )

    def check_range(self, green_travel):
        """The field's error when the days are beyond what the travel choice allows."""
        highest = GREEN_TRAVEL_DAYS_MAX if green_travel else TRAVEL_DAYS_MAX
        days = self.travel_days.data
        if days is not None and not 0 <= days <= highest:
            message = (
                _l("Enter a whole number of days from 0 to %(most)s.", most=highest)
                if green_travel
                else _l(
                    "Enter a whole number of days from 0 to %(most)s (up to %(green)s only with green travel).",
                    most=highest,
                    green=GREEN_TRAVEL_DAYS_MAX,
                )
            )
            self.travel_days.errors = [str(message)]
        return not self.travel_days.errors
