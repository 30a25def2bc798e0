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
        sa.CheckConstraint(
            "first_instalment_percent >= 1 AND first_instalment_percent <= 100", name="first_instalment_percent_valid"
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
    # The share of the grant paid before departure; the rest follows the approved report.
    first_instalment_percent = sa.Column(sa.Integer, nullable=False, default=70, server_default="70")
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    version = sa.Column(sa.Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}

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


# Individual support may cover up to this many travel days besides the stay; green travel
# (train, bus, car sharing) allows up to GREEN_TRAVEL_DAYS_MAX in all (Erasmus+ rules).
TRAVEL_DAYS_MAX = 2
GREEN_TRAVEL_DAYS_MAX = 6


class GrantAgreement(db.Model):
    """A participant's grant agreement: their choice of green travel, the travel days added to
    the stay for individual support and, once the office issues it, its number and the total it
    states (frozen: a later recomputation shows beside it, never over it)."""

    __tablename__ = "grant_agreements"
    __table_args__ = (
        sa.CheckConstraint(f"travel_days >= 0 AND travel_days <= {GREEN_TRAVEL_DAYS_MAX}", name="travel_days_valid"),
        sa.CheckConstraint(
            f"green_travel OR travel_days <= {TRAVEL_DAYS_MAX}", name="travel_days_without_green_travel"
        ),
        sa.CheckConstraint("(issued_at IS NULL) = (amount IS NULL)", name="issued_with_amount"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    application_id = sa.Column(sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False, unique=True)
    green_travel = sa.Column(sa.Boolean, nullable=False, default=False)
    travel_days = sa.Column(sa.Integer, nullable=False, default=0)
    number = sa.Column(sa.String(40), unique=True)
    issued_at = sa.Column(UTCDateTime)
    issued_by_id = sa.Column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    amount = sa.Column(sa.Numeric(10, 2))
    # The rates the planned grant was computed with at the issue, frozen as the agreement
    # states them (grants/operations.py computes with them once issued). NULL on agreements
    # issued before these were kept: their grant follows the call's rules.
    frozen_country_group = sa.Column(sa.Integer)
    frozen_individual_rate = sa.Column(sa.Integer)  # per month for students, per day for staff
    frozen_distance_km = sa.Column(sa.Integer)
    frozen_band = sa.Column(sa.Integer)
    frozen_travel_amount = sa.Column(sa.Integer)
    frozen_green_travel_amount = sa.Column(sa.Integer)
    frozen_top_up_month = sa.Column(sa.Integer)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    version = sa.Column(sa.Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    application = db.relationship("Application")
    issued_by = db.relationship("User", foreign_keys=[issued_by_id])

    @property
    def issued(self):
        return self.issued_at is not None


class GrantPayment(db.Model):
    """One instalment of a participant's grant. The first is scheduled when the grant agreement is
    issued; the last has no amount and no due date until the report is approved (payments/)."""

    __tablename__ = "grant_payments"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "instalment"),
        sa.CheckConstraint("instalment >= 1", name="instalment_valid"),
        sa.CheckConstraint("share_percent >= 0 AND share_percent <= 100", name="share_percent_valid"),
        sa.CheckConstraint("paid_on IS NULL OR amount IS NOT NULL", name="paid_with_amount"),
        sa.Index("ix_grant_payments_due_on_paid_on", "due_on", "paid_on"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    application_id = sa.Column(sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False)
    instalment = sa.Column(sa.Integer, nullable=False)
    # 0 for an instalment added at the settlement (payments/operations.py): it holds a difference.
    share_percent = sa.Column(sa.Integer, nullable=False)
    # Negative for a last instalment that the participant pays back (a shortened stay).
    amount = sa.Column(sa.Numeric(10, 2))
    due_on = sa.Column(sa.Date)
    paid_on = sa.Column(sa.Date)
    # The bank's or the accounting office's reference of the transfer.
    reference = sa.Column(sa.String(100))
    recorded_by_id = sa.Column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    recorded_at = sa.Column(UTCDateTime)
    version = sa.Column(sa.Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    application = db.relationship("Application")
    recorded_by = db.relationship("User", foreign_keys=[recorded_by_id])

    @property
    def paid(self):
        return self.paid_on is not None
