"""What the European partner is told about a participant (the Erasmus+ Beneficiary Module's
participant fields), one row per application that holds a place."""

from flask_babel import lazy_gettext as _l

from .base import UTCDateTime, db, enum_check, sa, utcnow

GENDERS = {
    "female": _l("Female"),
    "male": _l("Male"),
    # The Beneficiary Module's third value.
    "undefined": _l("Other or undefined"),
}

# Study cycles with their EQF levels; staff have none.
STUDY_CYCLES = {
    "short_cycle": _l("Short cycle (EQF level 5)"),
    "bachelor": _l("Bachelor or equivalent first cycle (EQF level 6)"),
    "master": _l("Master or equivalent second cycle (EQF level 7)"),
    "doctoral": _l("Doctoral or equivalent third cycle (EQF level 8)"),
    "not_applicable": _l("Not applicable (staff)"),
}
EQF_LEVELS = {"short_cycle": 5, "bachelor": 6, "master": 7, "doctoral": 8, "not_applicable": None}

# Erasmus+ allows up to 12 months per study cycle (24 in one-cycle degrees); 36 leaves room
# for what a partner recorded under earlier programmes.
PREVIOUS_MONTHS_MAX = 36


class ParticipantData(db.Model):
    __tablename__ = "participant_data"
    __table_args__ = (
        enum_check("gender", tuple(GENDERS)),
        enum_check("study_cycle", tuple(STUDY_CYCLES)),
        sa.CheckConstraint(
            f"previous_mobility_months >= 0 AND previous_mobility_months <= {PREVIOUS_MONTHS_MAX}",
            name="previous_mobility_months_range",
        ),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    application_id = sa.Column(sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False, unique=True)
    birth_date = sa.Column(sa.Date, nullable=False)
    gender = sa.Column(sa.String(10), nullable=False)
    nationality = sa.Column(sa.String(2), nullable=False)  # ISO 3166-1 alpha-2
    isced_code = sa.Column(sa.String(4), nullable=False)  # ISCED-F 2013 (irflow/isced.py)
    study_cycle = sa.Column(sa.String(20), nullable=False)
    # Sensitive: the participant, the head and the coordinators of the faculty only.
    fewer_opportunities = sa.Column(sa.Boolean, nullable=False)
    special_needs = sa.Column(sa.Boolean, nullable=False)
    previous_mobility_months = sa.Column(sa.Numeric(3, 1), nullable=False)
    version = sa.Column(sa.Integer, nullable=False)
    updated_by_id = sa.Column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    application = db.relationship("Application", back_populates="participant_data")
    updated_by = db.relationship("User")

    @property
    def eqf_level(self):
        return EQF_LEVELS.get(self.study_cycle)
