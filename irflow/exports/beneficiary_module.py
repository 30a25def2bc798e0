"""The Erasmus+ Beneficiary Module export: one row per mobility of a call (or of every call
of an academic year), in the columns and codes of the Beneficiary Module's mobility import
for KA171, and the mandatory values that are missing. docs/beneficiary-module-export.md
describes every column and where its value comes from.

Which mobilities: applications that went abroad, i.e. in MOBILITY_STATES (abroad, returned,
report submitted, completed). A participant who has not departed yet (selected, confirmed,
nominated, accepted by the host) has no mobility to report yet; drafts, refusals and
withdrawals never had one.

The whole export is computed in the request with a fixed number of statements (the
applications and everything each row needs are loaded for all of them at once): the page
must list the gaps before anything is downloaded, and a file is given only without gaps.
"""

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..grants import compute
from ..grants.operations import grants_with, host_distance_km, is_staff_mobility
from ..isced import ISCED_FIELDS
from ..models import (
    Application,
    Call,
    GrantAgreement,
    GrantRules,
    StaffMobilityAgreement,
    StayChange,
    User,
)
from ..models.grant import DISTANCE_BANDS

MOBILITY_STATES = ("abroad", "returned", "report_submitted", "completed")
STAFF_CATEGORIES = frozenset({"teacher", "staff"})
DATE_FORMAT = "%d-%m-%Y"  # the Beneficiary Module's import date format, DD-MM-YYYY
GENDER_CODES = {"female": "Female", "male": "Male", "undefined": "Undefined"}


@dataclass(frozen=True)
class BMColumn:
    key: str
    header: str  # the Beneficiary Module's name, in English as the import expects it
    mandatory: bool


COLUMNS = (
    BMColumn("mobility_id", "Mobility Activity ID", True),
    BMColumn("activity_type", "Activity Type", True),
    BMColumn("participant_name", "Participant Name", True),
    BMColumn("participant_email", "Participant Email", True),
    BMColumn("birth_date", "Participant's Date of Birth", True),
    BMColumn("gender", "Participant Gender", True),
    BMColumn("nationality", "Participant Nationality", True),
    BMColumn("education_level", "Education Level", False),
    BMColumn("field_of_education", "Field of Education", True),
    BMColumn("fewer_opportunities", "Participant with Fewer Opportunities", True),
    BMColumn("special_needs", "Participant with Special Needs", True),
    BMColumn("sending_oid", "Sending Organisation OID", True),
    BMColumn("sending_name", "Sending Organisation", False),
    BMColumn("sending_country", "Sending Country", True),
    BMColumn("sending_city", "Sending City", True),
    BMColumn("receiving_oid", "Receiving Organisation OID", True),
    BMColumn("receiving_erasmus_code", "Receiving Organisation Erasmus Code", False),
    BMColumn("receiving_name", "Receiving Organisation", False),
    BMColumn("receiving_country", "Receiving Country", True),
    BMColumn("receiving_city", "Receiving City", True),
    BMColumn("start_date", "Start Date", True),
    BMColumn("end_date", "End Date", True),
    BMColumn("interrupted_days", "Interrupted Duration (days)", False),
    BMColumn("duration_days", "Duration (days)", True),
    BMColumn("travel_days", "Travel Days", True),
    BMColumn("distance_band", "Distance Band", True),
    BMColumn("green_travel", "Green Travel", True),
    BMColumn("individual_support", "Individual Support (EUR)", True),
    BMColumn("travel_grant", "Travel Grant (EUR)", True),
    BMColumn("top_up", "Top-up for Fewer Opportunities (EUR)", False),
    BMColumn("total_grant", "Total Grant (EUR)", True),
)
COLUMN_HEADERS = {column.key: column.header for column in COLUMNS}
MANDATORY_KEYS = tuple(column.key for column in COLUMNS if column.mandatory)

# Where a missing value is put right (shown next to each gap).
FIX_PARTICIPANT_DATA = _l("the participant data page")
FIX_PARTNER = _l("the partner form")
FIX_GRANT_RULES = _l("the call's grant rules")
FIX_CONFIG = _l("the server configuration")
FIX_APPLICATION = _l("the application (planned or actual dates)")
FIX_CALL = _l("the call's mobility type")

PARTICIPANT_COLUMNS = (
    "birth_date",
    "gender",
    "nationality",
    "field_of_education",
    "fewer_opportunities",
    "special_needs",
)


@dataclass
class Gap:
    column: str  # a key of COLUMNS
    fix: object  # where to put it right (a lazy text)
    url: str | None = None
    setting: str | None = None  # the configuration setting, for gaps in the configuration

    @property
    def header(self):
        return COLUMN_HEADERS[self.column]


@dataclass
class Mobility:
    application: Application
    values: dict
    gaps: list = field(default_factory=list)

    def row(self):
        return tuple(self.values.get(column.key) for column in COLUMNS)


@dataclass
class BeneficiaryExport:
    mobilities: list
    general_gaps: list  # missing for every row (the configuration)

    @property
    def with_gaps(self):
        return [mobility for mobility in self.mobilities if mobility.gaps]

    @property
    def complete(self):
        """Mobilities, no gap, and (a second net under the gaps) every mandatory value there."""
        if not self.mobilities or self.general_gaps or self.with_gaps:
            return False
        return all(mobility.values.get(key) is not None for mobility in self.mobilities for key in MANDATORY_KEYS)

    def rows(self):
        return (mobility.row() for mobility in self.mobilities)


# Students: a study period (research stays of students are study periods too) or a traineeship.
STUDENT_ACTIVITY_TYPES = {"study": "HE-SMS", "research": "HE-SMS", "training": "HE-SMT"}


def activity_type(mobility_type, category):
    """The Erasmus+ higher education activity type code, or None when there is none (a
    student at a conference or teaching)."""
    if category in STAFF_CATEGORIES:
        # Staff teach, or train (also a research stay or a conference is staff training).
        return "HE-STA" if mobility_type == "teaching" else "HE-STT"
    return STUDENT_ACTIVITY_TYPES.get(mobility_type)


def band_code(band, distance_km):
    """The distance band as the Erasmus+ range of km ("500-1999 km"); "0-9 km" below 10 km."""
    if distance_km is None:
        return None
    if band is None:
        return "0-9 km"
    _, lowest, highest = DISTANCE_BANDS[band - 1]
    return f"{lowest}-{highest} km" if highest is not None else f"{lowest} km or more"


def yes_no(flag):
    return "Yes" if flag else "No"


def euros(amount):
    return None if amount is None else f"{Decimal(amount):.2f}"


def mobilities_query(call_id=None, academic_year=None):
    query = (
        db.select(Application)
        .join(Call, Call.id == Application.call_id)
        .join(User, User.id == Application.applicant_id)
        .where(Application.state.in_(MOBILITY_STATES))
        .options(selectinload(Application.allocated_place), selectinload(Application.participant_data))
        .order_by(Call.opens_at, Call.id, sa.func.lower(User.full_name_latin), Application.id)
    )
    if call_id is not None:
        query = query.where(Application.call_id == call_id)
    if academic_year is not None:
        query = query.where(Call.academic_year == academic_year)
    return query


def _by_application(model, application_ids):
    rows = db.session.scalars(db.select(model).where(model.application_id.in_(application_ids)))
    return {row.application_id: row for row in rows}


def _interruption_days(application_ids):
    """Days of approved interruptions per application."""
    changes = db.session.scalars(
        db.select(StayChange).where(
            StayChange.application_id.in_(application_ids),
            StayChange.kind == "interruption",
            StayChange.state == "approved",
        )
    )
    days = {}
    for change in changes:
        days[change.application_id] = days.get(change.application_id, 0) + change.interruption_days
    return days


def _rules_by_call(call_ids):
    rules = db.session.scalars(
        db.select(GrantRules)
        .where(GrantRules.call_id.in_(call_ids))
        .options(selectinload(GrantRules.country_groups), selectinload(GrantRules.travel_bands))
    )
    return {row.call_id: row for row in rules}


def beneficiary_export(call_id=None, academic_year=None):
    """The export of one call or of every call of `academic_year` ("2026/2027")."""
    applications = db.session.scalars(mobilities_query(call_id, academic_year)).unique().all()
    ids = [application.id for application in applications]
    loaded = {
        "rules": _rules_by_call({application.call_id for application in applications}),
        "agreements": _by_application(GrantAgreement, ids),
        "staff_agreements": _by_application(StaffMobilityAgreement, ids),
        "interruptions": _interruption_days(ids),
    }
    home = _home(current_app.config)
    mobilities = [_mobility(application, loaded, home) for application in applications]
    return BeneficiaryExport(mobilities, general_gaps=_config_gaps(home))


def _home(config):
    return {
        "sending_oid": config.get("HOME_OID") or None,
        "sending_name": config.get("HOME_ORGANISATION_NAME") or None,
        "sending_country": config.get("HOME_COUNTRY") or None,
        "sending_city": config.get("HOME_CITY") or None,
    }


SETTINGS = {
    "sending_oid": "HOME_OID",
    "sending_country": "HOME_COUNTRY",
    "sending_city": "HOME_CITY",
}


def _config_gaps(home):
    return [Gap(key, FIX_CONFIG, setting=setting) for key, setting in SETTINGS.items() if not home[key]]


def _mobility(application, loaded, home):
    values = {"mobility_id": f"IRFLOW-{application.id}", **home}
    mobility = Mobility(application, values)
    _participant(mobility)
    _receiving(mobility)
    _dates(mobility, loaded["interruptions"].get(application.id, 0))
    _grant(mobility, loaded)
    return mobility


def _participant(mobility):
    application, values = mobility.application, mobility.values
    applicant = application.applicant
    values["participant_name"] = applicant.full_name_latin
    values["participant_email"] = applicant.email
    values["activity_type"] = activity_type(application.call.mobility_type, applicant.category)
    if values["activity_type"] is None:
        mobility.gaps.append(
            Gap("activity_type", FIX_CALL, url_for("calls.manage.edit_call", call_id=application.call_id))
        )
    data = application.participant_data
    fix_url = url_for("participants.participant_data", id=application.id)
    is_student = applicant.category not in STAFF_CATEGORIES
    if data is None:
        missing = PARTICIPANT_COLUMNS + (("education_level",) if is_student else ())
        mobility.gaps.extend(Gap(key, FIX_PARTICIPANT_DATA, fix_url) for key in missing)
        return
    values["birth_date"] = data.birth_date.strftime(DATE_FORMAT)
    values["gender"] = GENDER_CODES.get(data.gender)
    values["nationality"] = data.nationality
    values["education_level"] = data.eqf_level
    values["field_of_education"] = data.isced_code if data.isced_code in ISCED_FIELDS else None
    values["fewer_opportunities"] = yes_no(data.fewer_opportunities)
    values["special_needs"] = yes_no(data.special_needs)
    if values["field_of_education"] is None:
        mobility.gaps.append(Gap("field_of_education", FIX_PARTICIPANT_DATA, fix_url))
    if data.eqf_level is None and is_student:
        # A student's education level is mandatory; staff have none.
        mobility.gaps.append(Gap("education_level", FIX_PARTICIPANT_DATA, fix_url))


def _receiving(mobility):
    place = mobility.application.allocated_place
    partner = place.partner if place is not None else None
    if partner is None:  # never in these states: the place is kept from selection on
        mobility.gaps.append(Gap("receiving_oid", FIX_APPLICATION))
        return
    fix_url = url_for("partners.manage.edit", partner_id=partner.id)
    mobility.values.update(
        receiving_oid=partner.oid,
        receiving_erasmus_code=partner.erasmus_code,
        receiving_name=partner.name,
        receiving_country=partner.country,
        receiving_city=partner.city,
    )
    for key in ("receiving_oid", "receiving_city"):
        if mobility.values[key] is None:
            mobility.gaps.append(Gap(key, FIX_PARTNER, fix_url))


def _dates(mobility, interrupted_days):
    """Actual dates where recorded, else planned; the duration without interruptions."""
    application, values = mobility.application, mobility.values
    start = application.actual_departure or application.planned_start
    end = application.actual_return or application.planned_end
    fix_url = url_for("applications.detail", id=application.id)
    for key, day in (("start_date", start), ("end_date", end)):
        if day is None:
            mobility.gaps.append(Gap(key, FIX_APPLICATION, fix_url))
        else:
            values[key] = day.strftime(DATE_FORMAT)
    values["interrupted_days"] = interrupted_days
    if start is not None and end is not None:
        values["duration_days"] = compute.span_days(start, end) - interrupted_days
    else:
        mobility.gaps.append(Gap("duration_days", FIX_APPLICATION, fix_url))


def chosen_grant(application, rules, agreement, staff_agreement, interrupted):
    """The grant that counts, as grants_of computes it (the issued agreement's rates, approved
    interruptions deducted): the actual one once both actual dates are recorded, else the
    planned one; None without rules or days."""
    if rules is None:
        return None
    planned, actual = grants_with(application, rules, agreement, staff_agreement, interrupted)
    return actual or planned


def _grant(mobility, loaded):
    application, values = mobility.application, mobility.values
    agreement = loaded["agreements"].get(application.id)
    values["travel_days"] = agreement.travel_days if agreement is not None else 0
    values["green_travel"] = yes_no(agreement is not None and agreement.green_travel)
    partner = application.allocated_place.partner if application.allocated_place else None
    distance_km = host_distance_km(partner)
    if distance_km is None and partner is not None:
        mobility.gaps.append(Gap("distance_band", FIX_PARTNER, url_for("partners.manage.edit", partner_id=partner.id)))
    elif distance_km is not None:
        values["distance_band"] = band_code(compute.distance_band(distance_km), distance_km)
    rules = loaded["rules"].get(application.call_id)
    staff_agreement = loaded["staff_agreements"].get(application.id) if is_staff_mobility(application) else None
    interrupted = loaded["interruptions"].get(application.id, 0)
    grant = chosen_grant(application, rules, agreement, staff_agreement, interrupted)
    rules_url = url_for("calls.manage.grant_rules", call_id=application.call_id)
    if grant is None:
        fix = FIX_GRANT_RULES if rules is None else FIX_APPLICATION
        mobility.gaps.extend(Gap(key, fix, rules_url) for key in ("individual_support", "travel_grant", "total_grant"))
        return
    values["individual_support"] = euros(grant.amount_of("individual_support"))
    travel = grant.amount_of("green_travel" if grant.green_travel else "travel")
    values["travel_grant"] = euros(Decimal(0) if grant.distance_km is not None and grant.band is None else travel)
    values["top_up"] = euros(grant.amount_of("top_up") or Decimal(0))
    values["total_grant"] = None if grant.problems else euros(grant.granted_total)
    if "country_group" in grant.problems:
        mobility.gaps.append(Gap("individual_support", FIX_GRANT_RULES, rules_url))
    if "band_amount" in grant.problems:
        mobility.gaps.append(Gap("travel_grant", FIX_GRANT_RULES, rules_url))
