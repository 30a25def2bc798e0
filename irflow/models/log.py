from .base import UTCDateTime, db, sa, utcnow


class TransitionLog(db.Model):
    """Append-only: one row for every state change; actor NULL means the system."""

    __tablename__ = "transition_log"
    __table_args__ = (sa.Index("ix_transition_log_application_id_id", "application_id", "id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    application_id = sa.Column(sa.ForeignKey("applications.id", ondelete="RESTRICT"), nullable=False)
    trigger = sa.Column(sa.String(30), nullable=False)
    from_state = sa.Column(sa.String(20), nullable=False)
    to_state = sa.Column(sa.String(20), nullable=False)
    actor_id = sa.Column(sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    comment = sa.Column(sa.Text)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)

    application = db.relationship("Application", back_populates="log")
    actor = db.relationship("User")
