from .base import CRITERION_SOURCES, MOBILITY_TYPES, UTCDateTime, db, enum_check, sa, utcnow
from .translated import one_language_given, translated, translated_columns

call_examiners = sa.Table(
    "call_examiners",
    db.metadata,
    sa.Column("call_id", sa.ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Call(db.Model):
    """A competition of a program: who may apply, when, to which places, and how they are chosen."""

    __tablename__ = "calls"
    __table_args__ = (
        enum_check("mobility_type", MOBILITY_TYPES),
        one_language_given("title"),
        sa.CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        sa.CheckConstraint("min_months >= 1 AND max_months >= min_months", name="months_range"),
        sa.CheckConstraint("offer_reply_days >= 1", name="offer_reply_days_positive"),
        sa.CheckConstraint("changes_reply_days >= 1", name="changes_reply_days_positive"),
        sa.CheckConstraint("grade_scale > 0", name="grade_scale_positive"),
        sa.CheckConstraint("minimum_total_score >= 0 AND minimum_total_score <= 100", name="minimum_total_score_range"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    program_id = sa.Column(sa.ForeignKey("programs.id", ondelete="RESTRICT"), nullable=False, index=True)
    title_en, title_ru, title_tg = translated_columns(sa.String(300))
    title = translated("title")
    description_en, description_ru, description_tg = translated_columns(sa.Text)
    description = translated("description")
    mobility_type = sa.Column(sa.String(20), nullable=False)
    # Lists of keys of CATEGORIES and DOCUMENT_KINDS; always assigned whole, never mutated in place.
    eligible_categories = sa.Column(sa.JSON, nullable=False, default=list)
    required_document_kinds = sa.Column(sa.JSON, nullable=False, default=list)
    academic_year = sa.Column(sa.String(9), nullable=False, index=True)  # "2026/2027"
    opens_at = sa.Column(UTCDateTime, nullable=False)
    closes_at = sa.Column(UTCDateTime, nullable=False, index=True)
    test_at = sa.Column(UTCDateTime)
    test_place_en, test_place_ru, test_place_tg = translated_columns(sa.String(300))
    test_place = translated("test_place")
    min_months = sa.Column(sa.Integer, nullable=False, default=1)
    max_months = sa.Column(sa.Integer, nullable=False, default=10)
    minimum_total_score = sa.Column(sa.Numeric(5, 2), nullable=False, default=0)
    # The top of the scale average grades are given on (5 for the national scale, 4 for GPA, 100).
    grade_scale = sa.Column(sa.Numeric(5, 2), nullable=False, default=5)
    offer_reply_days = sa.Column(sa.Integer, nullable=False, default=7)
    changes_reply_days = sa.Column(sa.Integer, nullable=False, default=7)
    published = sa.Column(sa.Boolean, nullable=False, default=False)
    selection_confirmed_at = sa.Column(UTCDateTime)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    program = db.relationship("Program", back_populates="calls")
    places = db.relationship("CallPlace", back_populates="call", cascade="all, delete-orphan", order_by="CallPlace.id")
    criteria = db.relationship(
        "Criterion", back_populates="call", cascade="all, delete-orphan", order_by="Criterion.position"
    )
    examiners = db.relationship("User", secondary=call_examiners, order_by="User.full_name_latin")

    def is_open(self, now=None):
        now = now or utcnow()
        return self.published and self.opens_at <= now < self.closes_at

    @property
    def test_criteria(self):
        return [criterion for criterion in self.criteria if criterion.source == "test"]

    def admits_category(self, category):
        return category in (self.eligible_categories or [])

    def __repr__(self):
        return f"<Call {self.id} {self.title}>"


class CallPlace(db.Model):
    """Places offered at one host in one call."""

    __tablename__ = "call_places"
    __table_args__ = (
        sa.UniqueConstraint("call_id", "partner_id"),
        sa.CheckConstraint("places >= 0", name="places_not_negative"),
        sa.CheckConstraint("months >= 1", name="months_positive"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    call_id = sa.Column(sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False, index=True)
    partner_id = sa.Column(sa.ForeignKey("partners.id", ondelete="RESTRICT"), nullable=False, index=True)
    places = sa.Column(sa.Integer, nullable=False)
    months = sa.Column(sa.Integer, nullable=False)

    call = db.relationship("Call", back_populates="places")
    partner = db.relationship("Partner", lazy="joined")

    def __repr__(self):
        return f"<CallPlace {self.id} call={self.call_id} partner={self.partner_id}>"


class Criterion(db.Model):
    """A selection criterion with its weight; `test` ones are scored by examiners."""

    __tablename__ = "criteria"
    __table_args__ = (
        enum_check("source", CRITERION_SOURCES),
        # A name is unique within its call in each language.
        sa.UniqueConstraint("call_id", "name_en"),
        sa.UniqueConstraint("call_id", "name_ru"),
        sa.UniqueConstraint("call_id", "name_tg"),
        one_language_given("name"),
        sa.CheckConstraint("weight > 0", name="weight_positive"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    call_id = sa.Column(sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False, index=True)
    name_en, name_ru, name_tg = translated_columns(sa.String(200))
    name = translated("name")
    source = sa.Column(sa.String(20), nullable=False, default="test")
    weight = sa.Column(sa.Numeric(6, 2), nullable=False)
    position = sa.Column(sa.Integer, nullable=False, default=0)

    call = db.relationship("Call", back_populates="criteria")
