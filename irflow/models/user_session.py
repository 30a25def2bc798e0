import hashlib
import secrets

from .base import UTCDateTime, db, sa, utcnow


def hash_session_token(token):
    """Only the hash is stored: a copy of the table does not let anyone into a session."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_session_token():
    return secrets.token_urlsafe(32)


class UserSession(db.Model):
    """One login: the session and remember cookies carry its token (Flask-Login's user id).

    Ending the row (logout, password change, deactivation) ends that login on the server,
    whatever cookie a browser still holds; idle and absolute limits are checked on every load.
    """

    __tablename__ = "user_sessions"

    id = sa.Column(sa.Integer, primary_key=True)
    token_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    user_id = sa.Column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    remember = sa.Column(sa.Boolean, nullable=False, default=False)
    user_agent = sa.Column(sa.String(255))
    address = sa.Column(sa.String(45))
    ended_at = sa.Column(UTCDateTime)
    end_reason = sa.Column(sa.String(40))

    user = db.relationship("User")

    def end(self, reason, when=None):
        if self.ended_at is None:
            self.ended_at = when or utcnow()
            self.end_reason = reason

    def __repr__(self):
        return f"<UserSession {self.id} of user {self.user_id}>"
