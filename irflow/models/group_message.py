from .base import UTCDateTime, db, enum_check, sa, utcnow

# The groups a message can be written to (labels and queries: irflow/messages).
MESSAGE_GROUPS = ("selected", "waitlisted", "abroad", "overdue_reports", "applications")


class GroupMessage(db.Model):
    """One message written by staff to a group of applicants; the copies each recipient gets
    are outbox rows (`notifications`) whose dedup key starts with `group-message:<key>:`."""

    __tablename__ = "group_messages"
    __table_args__ = (
        enum_check("recipient_group", MESSAGE_GROUPS),
        sa.Index("ix_group_messages_created_at", "created_at"),
        sa.Index("ix_group_messages_sender_id_created_at", "sender_id", "created_at"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    # Drawn when the preview is shown: sending the same preview twice finds it and sends nothing.
    key = sa.Column(sa.String(32), nullable=False, unique=True)
    sender_id = sa.Column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    recipient_group = sa.Column(sa.String(20), nullable=False)
    call_id = sa.Column(sa.ForeignKey("calls.id", ondelete="SET NULL"))
    subject = sa.Column(sa.String(200), nullable=False)
    body = sa.Column(sa.Text, nullable=False)
    recipient_count = sa.Column(sa.Integer, nullable=False)

    sender = db.relationship("User")
    call = db.relationship("Call")
