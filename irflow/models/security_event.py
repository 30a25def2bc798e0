"""The security event log: who did what to whose account or data, and when. Append-only."""

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from .base import UTCDateTime, db, sa, utcnow

# Every kind the log records; `details` holds facts (a list's name, a row count, the roles
# given), never a password, token or code.
EVENT_KINDS = (
    "login",
    "login_failed",
    "login_throttled",
    "logout",
    "password_changed",
    "password_reset_requested",
    "password_reset",
    "registered",
    "registration_email_taken",
    "verification_link_sent",
    "email_verified",
    "two_factor_enabled",
    "two_factor_disabled",
    "two_factor_failed",
    "recovery_code_used",
    "sessions_ended",
    "roles_changed",
    "faculties_changed",
    "account_deactivated",
    "account_reactivated",
    "profile_changed",
    "export",
    "selection_confirmed",
    "document_deleted",
    "draft_deleted",
    "personal_data_downloaded",
    "personal_data_purged",
    "group_message",
    "sensitive_data_changed",
    "grant_agreement_issued",
    "payment_recorded",
    "payment_undone",
)

EVENT_KIND_LABELS = {
    "registered": _l("Account registered"),
    "registration_email_taken": _l("Registration with an address already in use"),
    "verification_link_sent": _l("Verification link sent"),
    "login": _l("Login"),
    "login_failed": _l("Failed login"),
    "login_throttled": _l("Login refused: too many attempts"),
    "logout": _l("Logout"),
    "password_changed": _l("Password changed"),
    "password_reset_requested": _l("Password reset requested"),
    "password_reset": _l("Password reset"),
    "email_verified": _l("E-mail verified"),
    "two_factor_enabled": _l("Two-factor sign-in turned on"),
    "two_factor_disabled": _l("Two-factor sign-in turned off"),
    "two_factor_failed": _l("Wrong two-factor code"),
    "recovery_code_used": _l("Recovery code used"),
    "sessions_ended": _l("Sessions ended"),
    "roles_changed": _l("Roles changed"),
    "faculties_changed": _l("Coordinated faculties changed"),
    "account_deactivated": _l("Account deactivated"),
    "account_reactivated": _l("Account reactivated"),
    "profile_changed": _l("Profile changed"),
    "export": _l("Export"),
    "selection_confirmed": _l("Selection confirmed"),
    "document_deleted": _l("Document removed"),
    "draft_deleted": _l("Draft application deleted"),
    "personal_data_downloaded": _l("Personal data downloaded"),
    "personal_data_purged": _l("Personal data purged"),
    "group_message": _l("Group message sent"),
    "sensitive_data_changed": _l("Sensitive participant data changed"),
    "grant_agreement_issued": _l("Grant agreement issued"),
    "payment_recorded": _l("Grant payment recorded"),
    "payment_undone": _l("Grant payment undone"),
}
if set(EVENT_KIND_LABELS) != set(EVENT_KINDS):  # pragma: no cover
    raise RuntimeError("every security event kind needs a label in EVENT_KIND_LABELS")


class SecurityEvent(db.Model):
    __tablename__ = "security_events"
    __table_args__ = (
        sa.Index("ix_security_events_created_at", "created_at"),
        sa.Index("ix_security_events_kind_created_at", "kind", "created_at"),
        sa.Index("ix_security_events_user_id_created_at", "user_id", "created_at"),
        sa.Index("ix_security_events_actor_id_created_at", "actor_id", "created_at"),
        sa.Index("ix_security_events_email_digest_created_at", "email_digest", "created_at"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    kind = sa.Column(sa.String(40), nullable=False)
    # Who acted (None: the system, or someone not logged in), and whose account it concerns.
    actor_id = sa.Column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    user_id = sa.Column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    # The e-mail typed for no account (a failed login, a reset), as irflow.events.email_digest:
    # tries on one address can be grouped, and no address stays where no purge reaches it.
    email_digest = sa.Column(sa.String(16))
    address = sa.Column(sa.String(45))
    details = sa.Column(sa.JSON, nullable=False, default=dict)

    actor = db.relationship("User", foreign_keys=[actor_id])
    user = db.relationship("User", foreign_keys=[user_id])


class AppendOnly(RuntimeError):
    """A security event was to be changed or deleted: the log is append-only."""


@sa.event.listens_for(Session, "before_flush")
def _events_are_never_changed(session, flush_context, instances):
    for instance in (*session.dirty, *session.deleted):
        if isinstance(instance, SecurityEvent) and (instance in session.deleted or session.is_modified(instance)):
            raise AppendOnly("security events are never changed or deleted")
