from .base import UTCDateTime, db, sa, utcnow


class PasswordResetRequest(db.Model):
    """Reset links asked for, kept for a day to throttle them per e-mail and per client
    address (see auth/password_reset.py). Holds what was typed, never a link."""

    __tablename__ = "password_reset_requests"
    __table_args__ = (
        sa.Index("ix_password_reset_requests_email_created_at", "email", "created_at"),
        sa.Index("ix_password_reset_requests_address_created_at", "address", "created_at"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    email = sa.Column(sa.String(254), nullable=False)
    address = sa.Column(sa.String(45), nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
