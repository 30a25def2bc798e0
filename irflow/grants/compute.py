"""The grant of one participant, computed from a call's grant rules: pure functions of plain
values, so that they are tested without a database.

Rules followed (Erasmus+ KA171 unit costs):
- Distance: great-circle (haversine) distance in km, Earth radius 6371 km, from the home
  city to the host city, rounded down to whole km; it selects one of the Erasmus+ bands.
- Students: individual support per month of the host-country group. A stay counts in days,
  first and last included; every 30 days are a month, and the days of an incomplete month
  get 1/30 of the monthly amount each (135 days = 4 months and 15 days = 4.5 × the monthly
  amount). The top-up for fewer opportunities is per month, counted the same way.
- Staff: individual support per day of the host-country group × the days: the staff
  mobility agreement's days when there is one (planned), else the span of the dates.
- Travel days: individual support also covers the travel days the grant agreement grants
  (up to 2, or up to 6 with green travel), counted as days of the stay.
- Travel support: the band's lump sum; with green travel, the band's green amount instead.
  Both are shown; the participant's choice (`green_travel`) decides which one is granted.
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


@dataclass
class GrantLine:
    """One line of the computation: what, how it is counted, the amount."""

    kind: str  # individual_support | travel | green_travel | top_up
    rate: int  # per month, per day, or the band's lump sum
    amount: Decimal


@dataclass
class Grant:
    days: int  # of the stay; individual support counts `days + travel_days`

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


def compute_grant(
    *,
    is_staff,
    days,
    country_group,
    distance_km,
    student_month,
    staff_day,
    band_amounts,
    fewer_opportunities=False,
    fewer_opportunities_month=0,
    travel_days=0,
    green_travel=False,
):
    """The grant's lines for a stay of `days` (and `travel_days` of individual support).

    `student_month` and `staff_day` map a country group to its rate; `band_amounts` maps a
    band to (amount, green amount). A missing group, distance or band amount leaves its line
    out and is named in `problems` (codes: country_group, distance, band_amount)."""
    grant = Grant(days=days, country_group=country_group, travel_days=travel_days, green_travel=green_travel)
    supported_days = grant.supported_days
    if country_group is None:
        grant.problems.append("country_group")
    elif is_staff:
        rate = staff_day[country_group]
        grant.lines.append(GrantLine("individual_support", rate, (Decimal(rate) * supported_days).quantize(CENT)))
    else:
        rate = student_month[country_group]
        grant.lines.append(GrantLine("individual_support", rate, per_month_amount(rate, supported_days)))
    if distance_km is None:
        grant.problems.append("distance")
    else:
        grant.distance_km = math.floor(distance_km)
        grant.band = distance_band(distance_km)
        amounts = band_amounts.get(grant.band) if grant.band else None
        if grant.band is not None and amounts is None:
            grant.problems.append("band_amount")
        elif amounts is not None:
            grant.lines.append(GrantLine("travel", amounts[0], Decimal(amounts[0]).quantize(CENT)))
            grant.lines.append(GrantLine("green_travel", amounts[1], Decimal(amounts[1]).quantize(CENT)))
    if not is_staff and fewer_opportunities and fewer_opportunities_month:
        grant.lines.append(
            GrantLine("top_up", fewer_opportunities_month, per_month_amount(fewer_opportunities_month, days))
        )
    return grant
