"""Forms of the calls pages: the public filter and the head's call editor.

Checks that need the database (places applicants chose or hold, criteria already
scored) get what they need from the view as plain data, so each message can be shown next
to its field and nothing is saved when one fails.
"""

import re
from datetime import UTC
from decimal import Decimal
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone, to_utc
from wtforms import (
    DateTimeLocalField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    NumberRange,
    Optional,
    ValidationError,
)

from ..applications.documents import AFTER_SELECTION_KINDS
from ..countries import country_name
from ..forms import FlaskForm, Form
from ..models.base import (
    CATEGORIES,
    CRITERION_SOURCES,
    DOCUMENT_KINDS,
    MOBILITY_TYPES,
    utcnow,
)
from ..models.translated import TEXT_LANGUAGES
from ..web.forms import (
    CheckboxListField,
    LocalDecimalField,
    int_or_none,
    one_language_given,
    options,
    show_translated,
    strip_text,
    translated_data,
    translated_fields,
)

# Empty rows offered below the filled ones for new hosts and criteria.
EMPTY_PLACE_ROWS = 3
EMPTY_CRITERION_ROWS = 2
MAX_MONTHS = 24
MAX_PLACES = 999
MAX_PLACE_ROWS = 200
MAX_CRITERION_ROWS = 40
MAX_REPLY_DAYS = 90
MAX_WEIGHT = Decimal(1000)
MAX_GRADE_SCALE = Decimal(100)
ACADEMIC_YEAR = re.compile(r"^(\d{4})/(\d{4})$")

# What an applicant can upload while the application is being written (not what comes after selection).
REQUIRABLE_DOCUMENT_KINDS = tuple(kind for kind in DOCUMENT_KINDS if kind not in AFTER_SELECTION_KINDS)


class UserDateTimeField(DateTimeLocalField):
    """A datetime-local input read in the user's time zone and handed over as aware UTC;
    stored UTC values are shown back in the user's zone."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"])
        kwargs.setdefault("invalid_value_message", _l("Enter a date and a time."))
        super().__init__(*args, **kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        if not self.data:
            return ""
        value = self.data
        if value.tzinfo is not None:
            value = to_user_timezone(value).replace(tzinfo=None)
        return value.strftime(self.format[0])

    def process_formdata(self, valuelist):
        if valuelist and not "".join(valuelist).strip():
            self.data = None
            return
        super().process_formdata(valuelist)
        if self.data is not None:
            try:
                self.data = to_utc(self.data).replace(tzinfo=UTC)
            except (OverflowError, ValueError):  # year 1 or 9999: no such time in UTC
                self.data = None
                raise ValueError(self.invalid_value_message) from None


def _typed(field):
    """What was typed into `field`: the parsed data alone cannot tell "abc" from nothing."""
    if field.raw_data is None:
        return field.data is not None
    return "".join(value for value in field.raw_data if isinstance(value, str)).strip()


def _year_of_now():
    now = utcnow()
    # From March on the office prepares the next academic year.
    return now.year if now.month >= 3 else now.year - 1


# --- public filters (GET, no CSRF: they change nothing) --------------------------------------


class CallFilterForm(FlaskForm):
    class Meta:
        csrf = False

    program = SelectField(_l("Program"), choices=[], default="")
    mobility_type = SelectField(_l("Mobility type"), choices=[], default="")

    def __init__(self, programs, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._program_ids = {str(program.id) for program in programs}
        self.program.choices = options(
            [("", _l("All programs"))] + [(str(program.id), program.name) for program in programs]
        )
        self.mobility_type.choices = options([("", _l("All types"))] + list(MOBILITY_TYPES.items()))

    def filter_values(self):
        """(program id or None, mobility type or None); a value not offered is ignored."""
        program = self.program.data if self.program.data in self._program_ids else ""
        mobility_type = self.mobility_type.data if self.mobility_type.data in MOBILITY_TYPES else ""
        self.program.data, self.mobility_type.data = program, mobility_type
        return (int(program) if program else None), (mobility_type or None)


# --- calls ----------------------------------------------------------------------------------------


class PlaceRowForm(Form):
    """One host of a call. A row left entirely empty is ignored."""

    partner = SelectField(_l("Host"), coerce=int_or_none, choices=[], validate_choice=False)
    places = IntegerField(_l("Places"), validators=[Optional()])
    months = IntegerField(_l("Months"), validators=[Optional()])

    def is_blank(self):
        return self.partner.data is None and not _typed(self.places) and not _typed(self.months)

    def validate(self, extra_validators=None):
        if self.is_blank():
            for field in self:
                field.errors = []
            return True
        ok = super().validate(extra_validators)
        if self.partner.data is None:
            self.partner.errors.append(_l("Choose the host."))
            ok = False
        if self.places.data is None and not self.places.errors:
            self.places.errors.append(_l("Enter the number of places."))
            ok = False
        elif self.places.data is not None and self.places.data < 0:
            self.places.errors.append(_l("The number of places cannot be negative."))
            ok = False
        elif self.places.data is not None and self.places.data > MAX_PLACES:
            self.places.errors.append(_l("Enter at most %(max)s places.", max=MAX_PLACES))
            ok = False
        if self.months.data is None and not self.months.errors:
            self.months.errors.append(_l("Enter the number of months."))
            ok = False
        elif self.months.data is not None and self.months.data < 1:
            self.months.errors.append(_l("A stay lasts at least one month."))
            ok = False
        elif self.months.data is not None and self.months.data > MAX_MONTHS:
            self.months.errors.append(_l("Enter at most %(max)s months.", max=MAX_MONTHS))
            ok = False
        return ok


class CriterionRowForm(Form):
    """One selection criterion. A row with neither name nor weight is ignored."""

    criterion_id = HiddenField()
    name_en, name_ru, name_tg = translated_fields(_l("Criterion"), max_length=200)
    source = SelectField(_l("Source"), choices=[])
    weight = LocalDecimalField(_l("Weight"), places=2, validators=[Optional()])

    def is_blank(self):
        return not any(translated_data(self, "name").values()) and not _typed(self.weight)

    def validate(self, extra_validators=None):
        if self.is_blank():
            for field in self:
                field.errors = []
            return True
        ok = super().validate(extra_validators)
        ok = one_language_given(self, "name", _l("Enter the name of the criterion.")) and ok
        if self.weight.data is None:
            if not self.weight.errors:
                self.weight.errors.append(_l("Enter the weight."))
            ok = False
        elif self.weight.data <= 0:
            self.weight.errors.append(_l("The weight must be more than zero."))
            ok = False
        elif self.weight.data > MAX_WEIGHT:
            self.weight.errors.append(_l("The weight cannot be above %(max)s.", max=MAX_WEIGHT))
            ok = False
        return ok


class CallForm(FlaskForm):
    program = SelectField(_l("Program"), coerce=int_or_none, choices=[], validate_choice=False)
    title_en, title_ru, title_tg = translated_fields(_l("Title"))
    description_en, description_ru, description_tg = translated_fields(
        _l("Description"), TextAreaField, max_length=20000, render_kw={"rows": 6}
    )
    mobility_type = SelectField(_l("Mobility type"), choices=[])
    academic_year = StringField(
        _l("Academic year"),
        filters=[strip_text],
        validators=[DataRequired(_l("Enter the academic year."))],
        description=_l("For example 2026/2027."),
    )
    opens_at = UserDateTimeField(_l("Opens at"), validators=[InputRequired(_l("Enter when the call opens."))])
    closes_at = UserDateTimeField(_l("Closes at"), validators=[InputRequired(_l("Enter the deadline."))])
    test_at = UserDateTimeField(_l("Test date and time"), validators=[Optional()])
    test_place_en, test_place_ru, test_place_tg = translated_fields(_l("Test place"))
    min_months = IntegerField(
        _l("Shortest stay (months)"),
        default=1,
        validators=[
            InputRequired(_l("Enter the shortest stay.")),
            NumberRange(min=1, max=MAX_MONTHS, message=_l("Enter from %(min)s to %(max)s months.")),
        ],
    )
    max_months = IntegerField(
        _l("Longest stay (months)"),
        default=10,
        validators=[
            InputRequired(_l("Enter the longest stay.")),
            NumberRange(min=1, max=MAX_MONTHS, message=_l("Enter from %(min)s to %(max)s months.")),
        ],
    )
    minimum_total_score = LocalDecimalField(
        _l("Minimum total score"),
        places=2,
        default=Decimal(0),
        validators=[
            InputRequired(_l("Enter the minimum total score.")),
            NumberRange(min=0, max=100, message=_l("Enter a score from 0 to 100.")),
        ],
        description=_l("Applicants below it are not selected (0–100)."),
    )
    grade_scale = LocalDecimalField(
        _l("Grade scale"),
        places=2,
        default=Decimal(5),
        validators=[InputRequired(_l("Enter the top of the grade scale."))],
        description=_l("The top of the scale average grades are given on: 5, 4 (GPA), 10 or 100."),
    )
    offer_reply_days = IntegerField(
        _l("Days to accept an offered place"),
        default=7,
        validators=[
            InputRequired(_l("Enter the number of days.")),
            NumberRange(min=1, max=MAX_REPLY_DAYS, message=_l("Enter from %(min)s to %(max)s days.")),
        ],
    )
    changes_reply_days = IntegerField(
        _l("Days to resubmit after changes are requested"),
        default=7,
        validators=[
            InputRequired(_l("Enter the number of days.")),
            NumberRange(min=1, max=MAX_REPLY_DAYS, message=_l("Enter from %(min)s to %(max)s days.")),
        ],
    )
    required_document_kinds = CheckboxListField(_l("Required documents"), choices=[])
    eligible_categories = CheckboxListField(_l("Who may apply"), choices=[])
    examiners = CheckboxListField(_l("Examiners"), coerce=int, choices=[])
    places = FieldList(
        FormField(PlaceRowForm), label=_l("Hosts and places"), min_entries=EMPTY_PLACE_ROWS, max_entries=MAX_PLACE_ROWS
    )
    criteria = FieldList(
        FormField(CriterionRowForm),
        label=_l("Selection criteria"),
        min_entries=EMPTY_CRITERION_ROWS,
        max_entries=MAX_CRITERION_ROWS,
    )

    def __init__(
        self,
        programs,
        partners,
        examiners,
        *args,
        protected_partners=None,
        held_places=None,
        scored_criteria=None,
        **kwargs,
    ):
        """`protected_partners`: {partner id: name} of hosts applicants chose (cannot be removed);
        `held_places`: {partner id: places taken}; `scored_criteria`: {criterion id: name} with scores."""
        super().__init__(*args, **kwargs)
        self.protected_partners = protected_partners or {}
        self.held_places = held_places or {}
        self.scored_criteria = scored_criteria or {}
        self.place_errors = []
        self.criterion_errors = []
        self.program.choices = options(
            [("", _l("— choose a program —"))]
            + [
                (program.id, program.name if program.published else _l("%(name)s (not published)", name=program.name))
                for program in programs
            ]
        )
        self._program_ids = {program.id for program in programs}
        self.mobility_type.choices = options(MOBILITY_TYPES.items())
        self.required_document_kinds.choices = options(
            (kind, DOCUMENT_KINDS[kind]) for kind in REQUIRABLE_DOCUMENT_KINDS
        )
        self.eligible_categories.choices = options(CATEGORIES.items())
        self.examiners.choices = options((user.id, f"{user.full_name_latin} ({user.email})") for user in examiners)
        self._examiner_ids = {user.id for user in examiners}
        self._partner_names = {partner.id: partner.name for partner in partners}
        self._partner_choices = options(
            [("", _l("— choose a host —"))]
            + [(partner.id, f"{partner.name} ({country_name(partner.country)})") for partner in partners]
        )
        self._refresh_row_choices()

    # rows ----------------------------------------------------------------------------------
    def _refresh_row_choices(self):
        for row in self.places:
            row.form.partner.choices = self._partner_choices
        for row in self.criteria:
            row.form.source.choices = options(CRITERION_SOURCES.items())

    def add_empty_rows(self):
        """Empty rows to fill in below the last filled one."""
        for rows, wanted in ((self.places, EMPTY_PLACE_ROWS), (self.criteria, EMPTY_CRITERION_ROWS)):
            trailing = 0
            for row in reversed(rows.entries):
                if not row.form.is_blank():
                    break
                trailing += 1
            for _ in range(max(0, min(wanted - trailing, rows.max_entries - len(rows.entries)))):
                rows.append_entry()
        self._refresh_row_choices()

    def chosen_hosts(self):
        """(row index, partner id) of the rows whose host is one of the partners offered."""
        return [
            (index, row.form.partner.data)
            for index, row in enumerate(self.places)
            if row.form.partner.data in self._partner_names
        ]

    def call_terms(self):
        """What the hosts' agreements must cover, as typed (see partners.policy.agreement_problems)."""
        return SimpleNamespace(
            academic_year=(self.academic_year.data or "").strip(),
            mobility_type=self.mobility_type.data,
            eligible_categories=[
                category for category in self.eligible_categories.data or [] if category in CATEGORIES
            ],
        )

    def fill_from(self, call):
        """The call's values, for the GET of the edit page."""
        show_translated(self, call, "title", "description", "test_place")
        for name in (
            "mobility_type",
            "academic_year",
            "opens_at",
            "closes_at",
            "test_at",
            "min_months",
            "max_months",
            "offer_reply_days",
            "changes_reply_days",
        ):
            getattr(self, name).data = getattr(call, name)
        self.program.data = call.program_id
        self.minimum_total_score.data = Decimal(call.minimum_total_score)
        self.grade_scale.data = Decimal(call.grade_scale)
        self.required_document_kinds.data = list(call.required_document_kinds or [])
        self.eligible_categories.data = list(call.eligible_categories or [])
        self.examiners.data = [user.id for user in call.examiners]
        while self.places.entries:
            self.places.pop_entry()
        for place in call.places:
            self.places.append_entry({"partner": place.partner_id, "places": place.places, "months": place.months})
        while self.criteria.entries:
            self.criteria.pop_entry()
        for criterion in call.criteria:
            self.criteria.append_entry(
                {
                    "criterion_id": str(criterion.id),
                    **{f"name_{language}": getattr(criterion, f"name_{language}") for language in TEXT_LANGUAGES},
                    "source": criterion.source,
                    "weight": Decimal(criterion.weight),
                }
            )
        self.add_empty_rows()

    def filled_places(self):
        return [row.form for row in self.places if not row.form.is_blank()]

    def filled_criteria(self):
        return [row.form for row in self.criteria if not row.form.is_blank()]

    # checks ----------------------------------------------------------------------------------
    def validate_program(self, field):
        if field.data is None:
            raise ValidationError(_l("Choose the program."))
        if field.data not in self._program_ids:
            raise ValidationError(_l("Choose a program from the list."))

    def validate_academic_year(self, field):
        match = ACADEMIC_YEAR.match(field.data or "")
        if not match or int(match.group(2)) != int(match.group(1)) + 1:
            raise ValidationError(_l("Write the academic year as two following years, for example 2026/2027."))

    def validate_closes_at(self, field):
        if field.data and self.opens_at.data and field.data <= self.opens_at.data:
            raise ValidationError(_l("The call must close after it opens."))

    def validate_max_months(self, field):
        if field.data is not None and self.min_months.data is not None and self.min_months.data > field.data:
            raise ValidationError(_l("The longest stay cannot be shorter than the shortest stay."))

    def validate_grade_scale(self, field):
        if field.data is not None and not (0 < field.data <= MAX_GRADE_SCALE):
            raise ValidationError(_l("Enter a number above 0 and up to %(max)s.", max=MAX_GRADE_SCALE))

    def validate_eligible_categories(self, field):
        if not field.data:
            raise ValidationError(_l("Tick at least one category of applicants."))
        if any(value not in CATEGORIES for value in field.data):
            raise ValidationError(_l("Choose categories from the list."))

    def validate_required_document_kinds(self, field):
        if any(value not in REQUIRABLE_DOCUMENT_KINDS for value in field.data or []):
            raise ValidationError(_l("Choose documents from the list."))

    def validate_examiners(self, field):
        if any(value not in self._examiner_ids for value in field.data or []):
            raise ValidationError(_l("Choose examiners from the list."))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        ok = one_language_given(self, "title", _l("Enter the title.")) and ok
        ok = self._check_places() and ok
        return self._check_criteria() and ok

    def _check_places(self):
        ok = True
        seen = set()
        for row in self.filled_places():
            partner_id = row.partner.data
            if partner_id is None:
                continue
            if partner_id not in self._partner_names:
                row.partner.errors.append(_l("Choose a host from the list."))
                ok = False
            elif partner_id in seen:
                row.partner.errors.append(_l("This host is listed twice; give it one row."))
                ok = False
            seen.add(partner_id)
            ok = self._check_held(row) and ok
        if not self.filled_places():
            self.place_errors.append(_l("Add at least one host with its places."))
            ok = False
        missing = [name for partner_id, name in self.protected_partners.items() if partner_id not in seen]
        if missing:
            self.place_errors.append(
                _l(
                    "Applicants have chosen %(hosts)s: such a host cannot be removed from the call. "
                    "Change its number of places instead (0 offers none).",
                    hosts=", ".join(sorted(missing)),
                )
            )
            ok = False
        return ok

    def _check_held(self, row):
        taken = self.held_places.get(row.partner.data, 0)
        if row.places.data is not None and row.places.data >= 0 and row.places.data < taken:
            row.places.errors.append(
                _l("%(taken)s places at this host are already allocated; offer at least that many.", taken=taken)
            )
            return False
        return True

    def recheck_held_places(self, held_places):
        """Check the places typed against `held_places` ({partner id: places taken}) counted
        again under the places' lock: one may have been given since the form was checked."""
        self.held_places = held_places or {}
        ok = True
        for row in self.filled_places():
            if row.partner.data is not None and not row.places.errors:
                ok = self._check_held(row) and ok
        return ok

    def _check_criteria(self):
        ok = True
        names = set()
        grade_rows = 0
        kept_ids = set()
        for row in self.filled_criteria():
            for language, name in translated_data(row, "name").items():
                key = (language, (name or "").casefold())
                if name and key in names:
                    row[f"name_{language}"].errors.append(_l("Another criterion has this name already."))
                    ok = False
                names.add(key)
            if row.source.data == "average_grade":
                grade_rows += 1
                if grade_rows > 1:
                    row.source.errors.append(_l("The average grade can be a criterion only once."))
                    ok = False
            criterion_id = int_or_none(row.criterion_id.data)
            if criterion_id is not None:
                kept_ids.add(criterion_id)
        if not self.filled_criteria():
            self.criterion_errors.append(_l("Add at least one selection criterion with its weight."))
            ok = False
        removed = [name for criterion_id, name in self.scored_criteria.items() if criterion_id not in kept_ids]
        if removed:
            self.criterion_errors.append(
                _l(
                    "Examiners have already scored %(criteria)s: such a criterion cannot be removed.",
                    criteria=", ".join(sorted(removed)),
                )
            )
            ok = False
        return ok

    def default_academic_year(self):
        year = _year_of_now()
        self.academic_year.data = f"{year}/{year + 1}"
