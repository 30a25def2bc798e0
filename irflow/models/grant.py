"""A call's grant rules: who pays, the individual support by host-country group (per month
for students, per day for staff), the travel support by distance band with its green-travel
amount, and the monthly top-up for participants with fewer opportunities. Amounts are whole
euros, as in the Erasmus+ rates. The computation is in irflow/grants/compute.py."""

from flask_babel import lazy_gettext as _l

from .base import UTCDateTime, db, enum_check, sa, utcnow

GRANT_PAYERS = {
    "eu_partner": _l("EU partner (Erasmus+)"),
    "daad": _l("DAAD"),
    "embassy": _l("Embassy"),
    "university": _l("The university"),
    "other": _l("Other"),
}
COUNTRY_GROUPS = (1, 2, 3)
# The Erasmus+ distance bands in km: (band number, from, to inclusive; None = no upper end).
DISTANCE_BANDS = (
    (1, 10, 99),
    (2, 100, 499),
    (3, 500, 1999),
    (4, 2000, 2999),
    (5, 3000, 3999),
    (6, 4000, 7999),
    (7, 8000, None),
)


class GrantRules(db.Model):
    __tablename__ = "grant_rules"
    __table_args__ = (
        enum_check("payer", GRANT_PAYERS),
        *(
            sa.CheckConstraint(f"{column} >= 0", name=f"{column}_not_negative")
            for column in (
                "student_month_group1",
                "student_month_group2",
                "student_month_group3",
                "staff_day_group1",
                "staff_day_group2",
                "staff_day_group3",
                "fewer_opportunities_month",
            )
        ),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    call_id = sa.Column(sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False, unique=True)
    payer = sa.Column(sa.String(20), nullable=False, default="eu_partner")
    student_month_group1 = sa.Column(sa.Integer, nullable=False, default=0)
    student_month_group2 = sa.Column(sa.Integer, nullable=False, default=0)
    student_month_group3 = sa.Column(sa.Integer, nullable=False, default=0)
    staff_day_group1 = sa.Column(sa.Integer, nullable=False, default=0)
    staff_day_group2 = sa.Column(sa.Integer, nullable=False, default=0)
    staff_day_group3 = sa.Column(sa.Integer, nullable=False, default=0)
    fewer_opportunities_month = sa.Column(sa.Integer, nullable=False, default=0)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    call = db.relationship("Call")
    country_groups = db.relationship(
        "GrantCountryGroup", cascade="all, delete-orphan", order_by="GrantCountryGroup.country"
    )
    travel_bands = db.relationship("GrantTravelBand", cascade="all, delete-orphan", order_by="GrantTravelBand.band")

    def student_month(self, group):
        return getattr(self, f"student_month_group{group}")

    def staff_day(self, group):
        return getattr(self, f"staff_day_group{group}")

    def group_of(self, country):
        return next((row.country_group for row in self.country_groups if row.country == country), None)

    def band_amounts(self, band):
        """(amount, green amount) of a distance band; None when the head gave none."""
        row = next((row for row in self.travel_bands if row.band == band), None)
        return None if row is None else (row.amount, row.green_amount)


class GrantCountryGroup(db.Model):
    """The head puts each host country in an Erasmus+ country group (1, 2 or 3)."""

    __tablename__ = "grant_country_groups"
    __table_args__ = (
        sa.UniqueConstraint("grant_rules_id", "country", name="one_group_per_country"),
        sa.CheckConstraint("country_group IN (1, 2, 3)", name="country_group_valid"),
        sa.CheckConstraint("length(country) = 2", name="country_alpha2"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    grant_rules_id = sa.Column(sa.ForeignKey("grant_rules.id", ondelete="CASCADE"), nullable=False, index=True)
    country = sa.Column(sa.String(2), nullable=False)  # ISO 3166-1 alpha-2
    country_group = sa.Column(sa.Integer, nullable=False)


class GrantTravelBand(db.Model):
    """Travel support (a lump sum for the journey there and back) for one distance band."""

    __tablename__ = "grant_travel_bands"
    __table_args__ = (
        sa.UniqueConstraint("grant_rules_id", "band", name="one_amount_per_band"),
        sa.CheckConstraint("band >= 1 AND band <= 7", name="band_valid"),
        sa.CheckConstraint("amount >= 0 AND green_amount >= 0", name="amounts_not_negative"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    grant_rules_id = sa.Column(sa.ForeignKey("grant_rules.id", ondelete="CASCADE"), nullable=False, index=True)
    band = sa.Column(sa.Integer, nullable=False)
    amount = sa.Column(sa.Integer, nullable=False)
    green_amount = sa.Column(sa.Integer, nullable=False)
