"""The learning agreement of a study mobility: the courses the participant takes at the
host and the home courses they will be recognised as, agreed before departure.

The participant drafts it and submits it; a coordinator of the application's faculty (or
the head) approves it or returns it with a comment; the copy signed by the three parties
(participant, sending and receiving institution) is uploaded as the application's
`learning_agreement` document. Departure of a study mobility needs both (the `depart`
guard). Its own small life (draft, submitted, approved, returned) is not the
application's workflow: the application's state moves only through `fire()`.
"""

from decimal import Decimal

from .base import UTCDateTime, db, enum_check, sa, utcnow

AGREEMENT_STATES = ("draft", "submitted", "approved", "returned")
COURSE_SIDES = ("host", "home")


class LearningAgreement(db.Model):
    __tablename__ = "learning_agreements"
    __table_args__ = (enum_check("state", AGREEMENT_STATES),)

    id = sa.Column(sa.Integer, primary_key=True)
    application_id = sa.Column(sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False, unique=True)
    state = sa.Column(sa.String(20), nullable=False, default="draft")
    language_of_instruction = sa.Column(sa.String(60))
    # The coordinator's words when returning it for changes.
    comment = sa.Column(sa.Text)
    submitted_at = sa.Column(UTCDateTime)
    decided_at = sa.Column(UTCDateTime)
    decided_by_id = sa.Column(sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    version = sa.Column(sa.Integer, nullable=False, default=1)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    application = db.relationship("Application")
    decided_by = db.relationship("User")
    courses = db.relationship(
        "LearningAgreementCourse",
        back_populates="agreement",
        cascade="all, delete-orphan",
        order_by="(LearningAgreementCourse.side, LearningAgreementCourse.position)",
    )

    __mapper_args__ = {"version_id_col": version}

    def courses_on(self, side):
        """The courses in force: those removed by an approved change during the mobility left out."""
        return [course for course in self.courses if course.side == side and course.removed_by_change_id is None]

    def original_courses_on(self, side):
        """The courses as approved before departure, those removed since included."""
        return [course for course in self.courses if course.side == side and course.added_by_change_id is None]

    def original_ects(self, side):
        return sum((course.ects for course in self.original_courses_on(side)), Decimal(0))

    def course(self, course_id):
        return next((course for course in self.courses if course.id == course_id), None)

    def ects(self, side):
        return sum((course.ects for course in self.courses_on(side)), Decimal(0))


class LearningAgreementCourse(db.Model):
    __tablename__ = "learning_agreement_courses"
    __table_args__ = (
        enum_check("side", COURSE_SIDES),
        sa.CheckConstraint("ects > 0 AND ects <= 60", name="ects_range"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    agreement_id = sa.Column(sa.ForeignKey("learning_agreements.id", ondelete="CASCADE"), nullable=False, index=True)
    side = sa.Column(sa.String(10), nullable=False)  # host: taken abroad; home: recognised as
    position = sa.Column(sa.Integer, nullable=False)
    code = sa.Column(sa.String(40))
    title = sa.Column(sa.String(300), nullable=False)
    ects = sa.Column(sa.Numeric(4, 1), nullable=False)
    semester = sa.Column(sa.String(40))
    # Changes during the mobility: the rows are kept, marked by the change that removed or added them.
    # Explicit constraint names: the conventional ones pass PostgreSQL's 63 characters.
    added_by_change_id = sa.Column(
        sa.ForeignKey("learning_agreement_changes.id", ondelete="SET NULL", name="fk_la_courses_added_by_change"),
        index=True,
    )
    removed_by_change_id = sa.Column(
        sa.ForeignKey("learning_agreement_changes.id", ondelete="SET NULL", name="fk_la_courses_removed_by_change"),
        index=True,
    )

    agreement = db.relationship("LearningAgreement", back_populates="courses")


CHANGE_STATES = ("draft", "submitted", "approved", "returned")
# Still to be decided (submitted) or to be resubmitted (returned): one at a time.
OPEN_CHANGE_STATES = ("submitted", "returned")
CHANGE_ACTIONS = ("added", "removed")
CHANGE_REASONS = ("cancelled", "timetable", "language", "other")


class LearningAgreementChange(db.Model):
    """Courses added or removed while the participant is abroad, approved or returned by a
    coordinator of the faculty; once approved, applied to the agreement's courses."""

    __tablename__ = "learning_agreement_changes"
    __table_args__ = (
        enum_check("state", CHANGE_STATES),
        # One open change per agreement, also against two submissions at the same moment.
        sa.Index(
            "uq_learning_agreement_changes_one_open",
            "agreement_id",
            unique=True,
            sqlite_where=sa.text("state IN ('submitted', 'returned')"),
            postgresql_where=sa.text("state IN ('submitted', 'returned')"),
        ),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    agreement_id = sa.Column(sa.ForeignKey("learning_agreements.id", ondelete="CASCADE"), nullable=False, index=True)
    state = sa.Column(sa.String(20), nullable=False, default="submitted")
    comment = sa.Column(sa.Text)
    submitted_at = sa.Column(UTCDateTime)
    decided_at = sa.Column(UTCDateTime)
    decided_by_id = sa.Column(sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    version = sa.Column(sa.Integer, nullable=False, default=1)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    agreement = db.relationship(
        "LearningAgreement",
        backref=db.backref("changes", order_by="LearningAgreementChange.id", cascade="all, delete-orphan"),
    )
    decided_by = db.relationship("User")
    rows = db.relationship(
        "LearningAgreementChangeRow",
        back_populates="change",
        cascade="all, delete-orphan",
        order_by="LearningAgreementChangeRow.id",
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self):
        return self.state in OPEN_CHANGE_STATES


class LearningAgreementChangeRow(db.Model):
    """One course removed (`course`, the agreement's row) or added (its code, title, ECTS,
    semester), with the reason."""

    __tablename__ = "learning_agreement_change_rows"
    __table_args__ = (
        enum_check("action", CHANGE_ACTIONS),
        enum_check("side", COURSE_SIDES),
        enum_check("reason", CHANGE_REASONS),
        sa.CheckConstraint("ects IS NULL OR (ects > 0 AND ects <= 60)", name="ects_range"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    change_id = sa.Column(
        sa.ForeignKey("learning_agreement_changes.id", ondelete="CASCADE", name="fk_la_change_rows_change"),
        nullable=False,
        index=True,
    )
    action = sa.Column(sa.String(10), nullable=False)
    side = sa.Column(sa.String(10), nullable=False)
    course_id = sa.Column(
        sa.ForeignKey("learning_agreement_courses.id", ondelete="CASCADE", name="fk_la_change_rows_course"), index=True
    )
    code = sa.Column(sa.String(40))
    title = sa.Column(sa.String(300))
    ects = sa.Column(sa.Numeric(4, 1))
    semester = sa.Column(sa.String(40))
    reason = sa.Column(sa.String(20), nullable=False)
    reason_text = sa.Column(sa.String(500))

    change = db.relationship("LearningAgreementChange", back_populates="rows")
    course = db.relationship("LearningAgreementCourse", foreign_keys=[course_id])

    @property
    def shown_ects(self):
        return self.course.ects if self.course is not None else self.ects

    @property
    def shown_title(self):
        return self.course.title if self.course is not None else self.title

    @property
    def shown_code(self):
        return self.course.code if self.course is not None else self.code
