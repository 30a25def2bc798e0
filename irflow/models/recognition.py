"""Recognition on return, course by course: what a coordinator of the application's faculty
(or the head) records from the host's transcript of records for a study mobility.

One row per course taken at the host: the grade obtained there, the home grade it converts
to, the ECTS recognised and the home course it is recognised as. Once there are rows, the
report's credits recognised are their sum (returns/operations.py keeps it so).
"""

from .base import UTCDateTime, db, sa, utcnow


class Recognition(db.Model):
    __tablename__ = "recognitions"
    __table_args__ = (sa.CheckConstraint("ects >= 0", name="ects_not_negative"),)

    id = sa.Column(sa.Integer, primary_key=True)
    application_id = sa.Column(sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False, index=True)
    position = sa.Column(sa.Integer, nullable=False)
    host_code = sa.Column(sa.String(40))
    host_title = sa.Column(sa.String(300), nullable=False)
    # Grades as the institutions write them ("B", "1,7", "15/20"): text, not numbers.
    host_grade = sa.Column(sa.String(40), nullable=False)
    home_grade = sa.Column(sa.String(40), nullable=False)
    ects = sa.Column(sa.Numeric(4, 1), nullable=False)
    home_course = sa.Column(sa.String(300))
    decided_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    decided_by_id = sa.Column(sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False, index=True)

    application = db.relationship("Application", back_populates="recognitions")
    decided_by = db.relationship("User")
