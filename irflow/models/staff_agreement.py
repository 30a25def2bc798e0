"""The mobility agreement of a staff mobility (teaching or training): when and how many days
the activity abroad lasts, the teaching hours of a teaching mobility, and its programme.

Its life is the learning agreement's (learning_agreement.py): the participant drafts and
submits it, a coordinator of the application's faculty (or the head) approves it or returns
it with a comment, and the copy signed by the three parties is uploaded as the
application's `mobility_agreement` document. Departure needs both (the `depart` guard).
"""

from .base import UTCDateTime, db, enum_check, sa, utcnow
from .learning_agreement import AGREEMENT_STATES

# Erasmus+ staff mobility: 5 to 60 days of activity (travel days not counted here).
MIN_DAYS = 5
MAX_DAYS = 60
# A teaching mobility teaches at least this many hours in every started week.
TEACHING_HOURS_PER_WEEK = 8


class StaffMobilityAgreement(db.Model):
    __tablename__ = "staff_mobility_agreements"
    __table_args__ = (
        enum_check("state", AGREEMENT_STATES),
        sa.CheckConstraint(f"days >= {MIN_DAYS} AND days <= {MAX_DAYS}", name="days_range"),
        sa.CheckConstraint("last_day >= first_day", name="days_in_order"),
        sa.CheckConstraint("teaching_hours IS NULL OR teaching_hours >= 0", name="teaching_hours_positive"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    application_id = sa.Column(sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False, unique=True)
    state = sa.Column(sa.String(20), nullable=False, default="draft")
    first_day = sa.Column(sa.Date, nullable=False)
    last_day = sa.Column(sa.Date, nullable=False)
    days = sa.Column(sa.Integer, nullable=False)
    # Teaching mobilities only.
    teaching_hours = sa.Column(sa.Integer)
    language = sa.Column(sa.String(60), nullable=False)
    objectives = sa.Column(sa.Text, nullable=False)
    activities = sa.Column(sa.Text, nullable=False)
    expected_outcomes = sa.Column(sa.Text, nullable=False)
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

    __mapper_args__ = {"version_id_col": version}

    @property
    def span_days(self):
        return (self.last_day - self.first_day).days + 1
