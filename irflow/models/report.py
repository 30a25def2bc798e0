from .base import UTCDateTime, db, sa, utcnow


class ReturnReport(db.Model):
    __tablename__ = "return_reports"
    __table_args__ = (
        sa.CheckConstraint("credits_recognised IS NULL OR credits_recognised >= 0", name="credits_not_negative"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    application_id = sa.Column(sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False, unique=True)
    activities = sa.Column(sa.Text)
    results = sa.Column(sa.Text)
    credits_recognised = sa.Column(sa.Numeric(6, 1))
    recommendation = sa.Column(sa.Text)  # advice for future applicants
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    application = db.relationship("Application", back_populates="report")

    def is_filled_in(self):
        return bool((self.activities or "").strip() and (self.results or "").strip())
