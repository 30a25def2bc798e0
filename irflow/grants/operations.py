"""Use cases of grants: the head saves a call's grant rules; a participant's grant is
computed from them (compute.py) with the planned dates and, once recorded, the actual ones
(less approved interruptions; for staff at most the mobility agreement's days). Once the
grant agreement is issued, both are computed with the rates it froze, so that the grant page,
the settlement of the last instalment and the Beneficiary Module export agree with it."""

from flask import current_app
from flask_babel import gettext as _

from ..errors import Refused
from ..extensions import db
from ..models import GrantAgreement, GrantCountryGroup, GrantRules, GrantTravelBand, StaffMobilityAgreement
from ..models.grant import COUNTRY_GROUPS, DISTANCE_BANDS, GREEN_TRAVEL_DAYS_MAX, TRAVEL_DAYS_MAX
from ..stays.operations import interrupted_days
from . import compute, policy

STAFF_MOBILITY_TYPES = frozenset({"teaching", "training"})


def rules_of(call):
    return db.session.scalar(db.select(GrantRules).where(GrantRules.call_id == call.id))


def stale_rules_message():
    return _(
        "The grant rules were changed by someone else after you opened this page. Nothing was "
        "saved: your figures are shown below; check them, then save again."
    )


def save_rules(call, form):
    """The call's grant rules as the head typed them; country groups and bands replaced.
    Refused when the rules changed since the form was shown (its hidden version)."""
    rules = rules_of(call)
    if str(form.version.data or "") != str(rules.version if rules is not None else ""):
        raise Refused(stale_rules_message())
    if rules is None:
        rules = GrantRules(call=call)
        db.session.add(rules)
    rules.payer = form.payer.data
    for group in COUNTRY_GROUPS:
        setattr(rules, f"student_month_group{group}", form[f"student_month_group{group}"].data)
        setattr(rules, f"staff_day_group{group}", form[f"staff_day_group{group}"].data)
    rules.fewer_opportunities_month = form.fewer_opportunities_month.data
    rules.first_instalment_percent = form.first_instalment_percent.data
    wanted_groups = form.country_groups_by_country()
    existing = {row.country: row for row in rules.country_groups}
    for country, row in existing.items():
        if country not in wanted_groups:
            rules.country_groups.remove(row)
    for country, group in wanted_groups.items():
        if country in existing:
            existing[country].country_group = group
        else:
            rules.country_groups.append(GrantCountryGroup(country=country, country_group=group))
    bands = {row.band: row for row in rules.travel_bands}
    for band, *_limits in DISTANCE_BANDS:
        amount, green_amount = form[f"band{band}_amount"].data, form[f"band{band}_green"].data
        row = bands.get(band)
        if row is None:
            rules.travel_bands.append(GrantTravelBand(band=band, amount=amount, green_amount=green_amount))
        else:
            row.amount, row.green_amount = amount, green_amount
    db.session.flush()
    return rules


def host_distance_km(partner):
    """The great-circle distance from the home city to the partner, or None without coordinates."""
    if partner is None or partner.latitude is None or partner.longitude is None:
        return None
    config = current_app.config
    return compute.haversine_km(config["HOME_LATITUDE"], config["HOME_LONGITUDE"], partner.latitude, partner.longitude)


def is_staff_mobility(application):
    return application.call.mobility_type in STAFF_MOBILITY_TYPES


def planned_days(application):
    """Days of the planned stay: for staff the mobility agreement's days when there is one."""
    staff_agreement = staff_agreement_of(application) if is_staff_mobility(application) else None
    return planned_days_with(application, staff_agreement)


def staff_agreement_of(application):
    return db.session.scalar(
        db.select(StaffMobilityAgreement).where(StaffMobilityAgreement.application_id == application.id)
    )


def planned_days_with(application, staff_agreement):
    """planned_days with the staff mobility agreement (or None) already at hand."""
    if staff_agreement is not None and is_staff_mobility(application):
        return staff_agreement.days
    if application.planned_start is None or application.planned_end is None:
        return None
    return compute.span_days(application.planned_start, application.planned_end)


def actual_days(application):
    """Days between the recorded departure and return (or None until both are recorded)."""
    if application.actual_departure is None or application.actual_return is None:
        return None
    return compute.span_days(application.actual_departure, application.actual_return)


def agreement_of(application):
    """The participant's grant agreement (green travel, travel days, issued total), or None."""
    return db.session.scalar(db.select(GrantAgreement).where(GrantAgreement.application_id == application.id))


def rates_of(application, rules):
    """The rates of the call's grant rules as they are now, for the participant's host."""
    partner = application.allocated_place.partner if application.allocated_place else None
    return compute.rates_from_rules(
        is_staff=is_staff_mobility(application),
        country_group=rules.group_of(partner.country) if partner else None,
        distance_km=host_distance_km(partner),
        student_month={group: rules.student_month(group) for group in COUNTRY_GROUPS},
        staff_day={group: rules.staff_day(group) for group in COUNTRY_GROUPS},
        band_amounts={row.band: (row.amount, row.green_amount) for row in rules.travel_bands},
        fewer_opportunities_month=rules.fewer_opportunities_month,
    )


# Each of the Rates' fields and the agreement's column that keeps it from the issue on.
FROZEN_COLUMNS = {
    "country_group": "frozen_country_group",
    "individual": "frozen_individual_rate",
    "distance_km": "frozen_distance_km",
    "band": "frozen_band",
    "travel": "frozen_travel_amount",
    "green_travel": "frozen_green_travel_amount",
    "top_up_month": "frozen_top_up_month",
}


def frozen_rates(agreement):
    """The rates the issued agreement states, or None: not issued, or issued before the
    rates were kept (such an agreement's grant follows the rules as they are now)."""
    if agreement is None or not agreement.issued or agreement.frozen_individual_rate is None:
        return None
    values = {field: getattr(agreement, column) for field, column in FROZEN_COLUMNS.items()}
    return compute.Rates(**(values | {"top_up_month": values["top_up_month"] or 0}), frozen=True)


def freeze_rates(agreement, rates):
    """Keep on the agreement the rates its planned grant was computed with."""
    for field, column in FROZEN_COLUMNS.items():
        setattr(agreement, column, getattr(rates, field))


def grant_for(application, rates, days, agreement=None, **counting):
    """The grant for `days` of the stay at `rates`, with the agreement's travel days and
    green-travel choice; `counting`: span_days and interrupted_days, for the explanation."""
    data = application.participant_data
    return compute.compute_grant(
        is_staff=is_staff_mobility(application),
        days=days,
        rates=rates,
        fewer_opportunities=bool(data is not None and data.fewer_opportunities),
        travel_days=agreement.travel_days if agreement is not None else 0,
        green_travel=bool(agreement is not None and agreement.green_travel),
        **counting,
    )


def grants_with(application, rules, agreement, staff_agreement, interrupted, from_rules=False):
    """(planned grant, actual grant) with what is already at hand: None where dates are missing.

    The rates are those the issued agreement froze (else, or `from_rules`, the rules as now).
    Planned: the planned days (staff: the mobility agreement's days). Actual: the span
    departure→return less the approved interruptions; for staff at most the agreement's
    days of activity; travel days are added to both."""
    rates = (None if from_rules else frozen_rates(agreement)) or rates_of(application, rules)
    days_planned = planned_days_with(application, staff_agreement)
    planned = grant_for(application, rates, days_planned, agreement) if days_planned else None
    span = actual_days(application)
    if not span:
        return planned, None
    agreed = staff_agreement.days if staff_agreement is not None and is_staff_mobility(application) else None
    days = compute.counted_days(span, interrupted, agreed)
    actual = grant_for(application, rates, days, agreement, span_days=span, interrupted_days=interrupted)
    return planned, actual


def grants_of(application, from_rules=False):
    """(rules, planned grant, actual grant): None where rules or dates are missing. Once the
    agreement is issued, computed with the rates it states (`from_rules`: the rules as now,
    for issuing it again)."""
    rules = rules_of(application.call)
    if rules is None:
        return None, None, None
    staff_agreement = staff_agreement_of(application) if is_staff_mobility(application) else None
    planned, actual = grants_with(
        application, rules, agreement_of(application), staff_agreement, interrupted_days(application), from_rules
    )
    return rules, planned, actual


def stale_message():
    return _("The grant agreement was changed by someone else after you opened the page. Nothing was saved.")


def _agreement_to_change(application, posted_version):
    """The agreement as the form saw it (created when there is none yet); a form rendered
    before someone else's change is refused."""
    agreement = agreement_of(application)
    expected = "" if agreement is None else str(agreement.version)
    if str(posted_version or "") != expected:
        raise Refused(stale_message())
    if agreement is None:
        agreement = GrantAgreement(application=application, green_travel=False, travel_days=0)
        db.session.add(agreement)
    return agreement


def choose_travel(application, user, posted_version, green_travel):
    """The participant's choice. Without green travel the travel days are at most
    TRAVEL_DAYS_MAX: more are cut down to it (returns True when they were)."""
    if not policy.may_choose_travel(user, application, agreement_of(application)):
        raise Refused(_("The way of travel cannot be changed now. Nothing was saved."))
    agreement = _agreement_to_change(application, posted_version)
    agreement.green_travel = green_travel
    cut = not green_travel and (agreement.travel_days or 0) > TRAVEL_DAYS_MAX
    if cut:
        agreement.travel_days = TRAVEL_DAYS_MAX
    db.session.flush()
    return cut


def set_travel_days(application, user, posted_version, days):
    if not policy.may_set_travel_days(user, application, agreement_of(application)):
        raise Refused(_("The travel days cannot be changed now. Nothing was saved."))
    agreement = _agreement_to_change(application, posted_version)
    highest = GREEN_TRAVEL_DAYS_MAX if agreement.green_travel else TRAVEL_DAYS_MAX
    if not 0 <= days <= highest:
        raise Refused(_("Enter a whole number of days from 0 to %(most)s.", most=highest))
    agreement.travel_days = days
    db.session.flush()
    return agreement
