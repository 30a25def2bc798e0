"""The grant of one participant, computed from a call's grant rules: pure functions of plain
values, so that they are tested without a database.

Rules followed (Erasmus+ KA171 unit costs):
- Distance: great-circle (haversine) distance in km, Earth radius 6371 km, from the home
  city to the host city, rounded down to whole km; it selects one of the Erasmus+ bands.
- Students: individual support per month of the host-country group. A stay counts in days,
  first and last included; every 30 days are a month, and the days of an incomplete month
  get 1/30 of the monthly amount each (135 days = 4 months and 15 days = 4.5 × the monthly
  amount). The top-up for fewer opportunities is per month, counted the same way.
- Staff: individual support per day of the host-country group × the days: planned, the staff
  mobility agreement's days (of activity) when there is one, else the span of the dates;
  actual, the span departure→return less interruptions, but at most the agreement's days
  (the activity cannot exceed the agreed days; travel days are separate, see below).
- Approved interruptions (stays/) give no individual support or top-up for their days
  (Erasmus+ rule): the actual days are the span less the interrupted days. The travel lump
  sum stays.
- Travel days: individual support also covers the travel days the grant agreement grants
  (up to 2, or up to 6 with green travel), counted as days of the stay.
- Travel support: the band's lump sum; with green travel, the band's green amount instead.
  Both are shown; the participant's choice (`green_travel`) decides which one is granted.
- Rates: once the grant agreement is issued, it froze its rates (`Rates`, kept on the
  agreement): planned and actual grants are then computed with them, not with the rules as
  changed since. Before the issue, the rules as they are now count.
Amounts are in euros, rounded to the cent.
"""

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from ..models.grant import DISTANCE_BANDS

EARTH_RADIUS_KM = 6371.0
DAYS_PER_MONTH = 30
CENT = Decimal("0.01")


def haversine_km(latitude_from, longitude_from, latitude_to, longitude_to):
    """The great-circle distance between two points given in degrees, in km."""
    phi_from, phi_to = math.radians(latitude_from), math.radians(latitude_to)
    delta_phi = phi_to - phi_from
    delta_lambda = math.radians(longitude_to - longitude_from)
    half_chord = math.sin(delta_phi / 2) ** 2 + math.cos(phi_from) * math.cos(phi_to) * math.sin(delta_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(half_chord))


def distance_band(distance_km):
    """The Erasmus+ band (1–7) of a distance in km, or None below 10 km (no travel support)."""
    whole_km = math.floor(distance_km)
    for band, lowest, highest in DISTANCE_BANDS:
        if whole_km >= lowest and (highest is None or whole_km <= highest):
            return band
    return None


def band_label(band):
    """ "500–1,999 km" for band 3."""
    _, lowest, highest = DISTANCE_BANDS[band - 1]
    return f"≥ {lowest:,} km" if highest is None else f"{lowest:,}–{highest:,} km"


def span_days(first_day, last_day):
    """Days of a stay, the first and the last included."""
    return (last_day - first_day).days + 1


def month_parts(days):
    """(whole months, remaining days) of a stay counted in 30-day months."""
    return divmod(days, DAYS_PER_MONTH)


def per_month_amount(monthly, days):
    """A monthly amount for a stay of `days`: whole months, and 1/30 per remaining day."""
    months, extra_days = month_parts(days)
    amount = Decimal(monthly) * months + Decimal(monthly) * extra_days / DAYS_PER_MONTH
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Rates:
    """The unit rates a grant is computed with: from the call's grant rules as they are now,
    or as an issued grant agreement froze them (`frozen`)."""

    country_group: int | None  # None: the host country has no group
    individual: int | None  # per month for students, per day for staff
    distance_km: int | None  # whole km; None: the host has no coordinates
    band: int | None  # None below 10 km (no travel support) or without a distance
    travel: int | None  # the band's lump sum; None: the rules give no amount for the band
    green_travel: int | None
    top_up_month: int = 0
    frozen: bool = False


def counted_days(span, interrupted_days=0, agreed_days=None):
    """Days of the stay that individual support counts: the span less the approved
    interruptions; for staff, at most the days of activity the mobility agreement states
    (travel days are added separately)."""
    days = max(span - interrupted_days, 0)
    return days if agreed_days is None else min(days, agreed_days)


@dataclass
class GrantLine:
    """One line of the computation: what, how it is counted, the amount."""

    kind: str  # individual_support | travel | green_travel | top_up
    rate: int  # per month, per day, or the band's lump sum
    amount: Decimal


@dataclass
class Grant:
    days: int  # of the stay that count; individual support counts `days + travel_days`

    @property
    def months(self):
        """(whole months, remaining days) of the stay."""
        return month_parts(self.days)

    lines: list = field(default_factory=list)
    country_group: int | None = None
    distance_km: int | None = None
    band: int | None = None
    problems: list = field(default_factory=list)  # what is missing to compute a line
    travel_days: int = 0
    green_travel: bool = False  # the participant's choice
    rates: Rates | None = None
    span_days: int | None = None  # departure to return, when they differ from `days`
    interrupted_days: int = 0  # approved interruptions, not counted

    @property
    def supported_days(self):
        """Days of individual support: the stay and the travel days."""
        return self.days + self.travel_days

    @property
    def supported_months(self):
        """(whole months, remaining days) of the days of individual support."""
        return month_parts(self.supported_days)

    def amount_of(self, kind):
        """The amount of one kind of line, or None when the grant has no such line."""
        return next((line.amount for line in self.lines if line.kind == kind), None)

    @property
    def band_label(self):
        return band_label(self.band) if self.band else None

    @property
    def total(self):
        """The grant with standard travel (the green amount is an alternative, not an addition)."""
        return sum((line.amount for line in self.lines if line.kind != "green_travel"), Decimal("0.00"))

    @property
    def total_green(self):
        """The grant when the participant travels green."""
        travel = {line.kind: line.amount for line in self.lines}
        if "green_travel" not in travel:
            return None
        return self.total - travel.get("travel", Decimal("0.00")) + travel["green_travel"]

    @property
    def granted_total(self):
        """The total the participant is granted: with green travel when they chose it."""
        if self.green_travel and self.total_green is not None:
            return self.total_green
        return self.total


def rates_from_rules(
    *, is_staff, country_group, distance_km, student_month, staff_day, band_amounts, fewer_opportunities_month=0
):
    """The rates of a call's rules for one host. `student_month` and `staff_day` map a country
    group to its rate; `band_amounts` maps a band to (amount, green amount)."""
    band = distance_band(distance_km) if distance_km is not None else None
    amounts = band_amounts.get(band) if band else None
    individual = None if country_group is None else (staff_day if is_staff else student_month)[country_group]
    return Rates(
        country_group=country_group,
        individual=individual,
        distance_km=math.floor(distance_km) if distance_km is not None else None,
        band=band,
        travel=amounts[0] if amounts else None,
        green_travel=amounts[1] if amounts else None,
        top_up_month=fewer_opportunities_month,
    )


def compute_grant(
    *,
    is_staff,
    days,
    rates,
    fewer_opportunities=False,
    travel_days=0,
    green_travel=False,
    span_days=None,
    interrupted_days=0,
):
    """The grant's lines for a stay of `days` that count (and `travel_days` of individual
    support) at `rates`. A missing group, distance or band amount leaves its line out and is
    named in `problems` (codes: country_group, distance, band_amount)."""
    grant = Grant(
        days=days,
        country_group=rates.country_group,
        travel_days=travel_days,
        green_travel=green_travel,
        rates=rates,
        span_days=span_days,
        interrupted_days=interrupted_days,
    )
    supported_days = grant.supported_days
    if rates.individual is None:
        grant.problems.append("country_group")
    elif is_staff:
        amount = (Decimal(rates.individual) * supported_days).quantize(CENT)
        grant.lines.append(GrantLine("individual_support", rates.individual, amount))
    else:
        amount = per_month_amount(rates.individual, supported_days)
        grant.lines.append(GrantLine("individual_support", rates.individual, amount))
    _travel_lines(grant, rates)
    if not is_staff and fewer_opportunities and rates.top_up_month:
        grant.lines.append(GrantLine("top_up", rates.top_up_month, per_month_amount(rates.top_up_month, days)))
    return grant


def _travel_lines(grant, rates):
    """The band's lump sum and its green alternative, or the problem that leaves them out."""
    grant.distance_km, grant.band = rates.distance_km, rates.band
    if rates.distance_km is None and rates.band is None:
        grant.problems.append("distance")
    elif rates.band is not None and rates.travel is None:
        grant.problems.append("band_amount")
    elif rates.travel is not None:
        grant.lines.append(GrantLine("travel", rates.travel, Decimal(rates.travel).quantize(CENT)))
        grant.lines.append(GrantLine("green_travel", rates.green_travel, Decimal(rates.green_travel).quantize(CENT)))
