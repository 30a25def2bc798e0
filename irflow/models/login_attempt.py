from .base import UTCDateTime, db, sa, utcnow


class LoginAttempt(db.Model):
    """Failed logins, kept to slow down password guessing (see auth/throttle.py)."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        sa.Index("ix_login_attempts_email_created_at", "email", "created_at"),
        sa.Index("ix_login_attempts_address_created_at", "address", "created_at"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    email = sa.Column(sa.String(254), nullable=False)
    address = sa.Column(sa.String(45), nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
