"""Two-factor authentication: a user's TOTP secret (RFC 6238) and their one-time recovery codes.

The secret is kept encrypted (irflow/two_factor/secrets.py) and shown only while it is set
up; a recovery code is kept as its SHA-256 only: each is a long random code, not a password,
so a fast hash is enough and a copy of the table lets nobody in."""

from .base import UTCDateTime, db, sa, utcnow


class TwoFactorCredential(db.Model):
    """One per user who has started setting up two-factor; `enabled_at` set once a code confirmed it."""

    __tablename__ = "two_factor_credentials"

    user_id = sa.Column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    encrypted_secret = sa.Column(sa.String(255), nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    enabled_at = sa.Column(UTCDateTime)
    # The time step of the last code accepted: a code seen once is not accepted again (RFC 6238, 5.2).
    last_used_step = sa.Column(sa.BigInteger)

    user = db.relationship("User")

    @property
    def enabled(self):
        return self.enabled_at is not None


class RecoveryCode(db.Model):
    __tablename__ = "recovery_codes"
    __table_args__ = (sa.Index("ix_recovery_codes_user_id", "user_id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    code_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    used_at = sa.Column(UTCDateTime)
