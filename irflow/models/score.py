from .base import UTCDateTime, db, sa, utcnow


class Score(db.Model):
    __tablename__ = "scores"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "criterion_id"),
        sa.CheckConstraint("value >= 0 AND value <= 100", name="value_range"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    application_id = sa.Column(sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False, index=True)
    criterion_id = sa.Column(sa.ForeignKey("criteria.id", ondelete="CASCADE"), nullable=False, index=True)
    value = sa.Column(sa.Numeric(5, 2), nullable=False)
    examiner_id = sa.Column(sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False, index=True)
    recorded_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    application = db.relationship("Application", back_populates="scores")
    criterion = db.relationship("Criterion")
    examiner = db.relationship("User")
