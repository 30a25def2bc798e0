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
        return [course for course in self.courses if course.side == side]

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

    agreement = db.relationship("LearningAgreement", back_populates="courses")
