from datetime import date, timedelta

from .base import AGREEMENT_DIRECTIONS, CEFR_LEVELS, PARTNER_KINDS, UTCDateTime, db, enum_check, sa, utcnow
from .translated import translated, translated_columns

# Agreements ending within this many days are flagged to the office.
AGREEMENT_WARNING_DAYS = 90


class Partner(db.Model):
    __tablename__ = "partners"
    __table_args__ = (
        enum_check("kind", PARTNER_KINDS),
        sa.CheckConstraint("length(country) = 2", name="country_alpha2"),
        sa.CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="latitude_range"),
        sa.CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="longitude_range"),
        # "E" and 8 digits (the digits are checked by the form: SQLite has no regular expressions).
        sa.CheckConstraint("oid IS NULL OR (length(oid) = 9 AND substr(oid, 1, 1) = 'E')", name="oid_format"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(300), nullable=False, unique=True)
    country = sa.Column(sa.String(2), nullable=False, index=True)  # ISO 3166-1 alpha-2
    city = sa.Column(sa.String(120))
    # The host city's coordinates in degrees (north and east positive): the travel distance
    # band of the grant is computed from them offline.
    latitude = sa.Column(sa.Float)
    longitude = sa.Column(sa.Float)
    kind = sa.Column(sa.String(40), nullable=False, index=True)
    # Erasmus+ identifiers, for the Beneficiary Module export: the Organisation ID given by the
    # Organisation Registration System ("E" + 8 digits) and, for a higher education
    # institution of a programme country, its Erasmus code ("D  BERLIN01").
    oid = sa.Column(sa.String(9), unique=True)
    erasmus_code = sa.Column(sa.String(20))
    description_en, description_ru, description_tg = translated_columns(sa.Text)
    description = translated("description")
    website = sa.Column(sa.String(300))
    # Where nominations are sent; partners without one are told by the coordinator.
    contact_email = sa.Column(sa.String(254))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    agreements = db.relationship(
        "Agreement",
        back_populates="partner",
        cascade="all, delete-orphan",
        order_by="Agreement.valid_until",
    )

    def __repr__(self):
        return f"<Partner {self.name}>"


class Agreement(db.Model):
    __tablename__ = "agreements"
    __table_args__ = (
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from", name="valid_range"
        ),
        sa.CheckConstraint("places_per_year IS NULL OR places_per_year >= 0", name="places_not_negative"),
        sa.CheckConstraint("months_per_year IS NULL OR months_per_year >= 0", name="months_not_negative"),
        sa.CheckConstraint("days_per_year IS NULL OR days_per_year >= 0", name="days_not_negative"),
        enum_check("direction", AGREEMENT_DIRECTIONS),
        sa.CheckConstraint(
            "language_level IS NULL OR language_level IN (" + ", ".join(f"'{level}'" for level in CEFR_LEVELS) + ")",
            name="language_level_valid",
        ),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    partner_id = sa.Column(sa.ForeignKey("partners.id", ondelete="CASCADE"), nullable=False, index=True)
    program_id = sa.Column(sa.ForeignKey("programs.id", ondelete="SET NULL"), index=True)
    title = sa.Column(sa.String(300))
    signed_on = sa.Column(sa.Date)
    valid_from = sa.Column(sa.Date)
    valid_until = sa.Column(sa.Date, index=True)
    places_per_year = sa.Column(sa.Integer)
    months_per_year = sa.Column(sa.Integer)
    days_per_year = sa.Column(sa.Integer)  # staff mobility is counted in days
    # The terms: which way, which mobility types (Call.mobility_type values) and which
    # levels (AGREEMENT_LEVELS keys) it covers; an empty list says nothing is covered.
    direction = sa.Column(sa.String(10), nullable=False, default="both", server_default="both")
    mobility_types = sa.Column(sa.JSON, nullable=False, default=list)
    levels = sa.Column(sa.JSON, nullable=False, default=list)
    isced_code = sa.Column(sa.String(4))  # ISCED-F 2013 field of education, 2 to 4 digits
    language = sa.Column(sa.String(60))
    language_level = sa.Column(sa.String(2))  # CEFR, A1 to C2
    contact_name = sa.Column(sa.String(200))  # the partner's contact for this agreement
    contact_email = sa.Column(sa.String(254))
    signed_copy_name = sa.Column(sa.String(255))  # the name it was uploaded under
    signed_copy_stored_name = sa.Column(sa.String(64), unique=True)  # the name in UPLOAD_FOLDER
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    partner = db.relationship("Partner", back_populates="agreements")
    program = db.relationship("Program")

    def expires_soon(self, today=None):
        today = today or date.today()
        return self.valid_until is not None and today <= self.valid_until <= today + timedelta(
            days=AGREEMENT_WARNING_DAYS
        )
