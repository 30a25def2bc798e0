from .base import UTCDateTime, db, sa, utcnow


class Notification(db.Model):
    """The outbox: every message is stored here first and delivered by SMTP when configured."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_sent_at_id", "sent_at", "id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    # A user of irflow, or no one (a host institution's office) — the address is always kept.
    recipient_id = sa.Column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    recipient_email = sa.Column(sa.String(254), nullable=False)
    application_id = sa.Column(sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    subject = sa.Column(sa.String(300), nullable=False)
    body = sa.Column(sa.Text, nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at = sa.Column(UTCDateTime)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    error = sa.Column(sa.Text)
    # After a failed delivery: not before this time (the retry backs off).
    next_attempt_at = sa.Column(UTCDateTime)
    # Set for messages that must go out once only (reminders): a second queueing is refused.
    dedup_key = sa.Column(sa.String(200), unique=True)

    recipient = db.relationship("User")
    application = db.relationship("Application")
