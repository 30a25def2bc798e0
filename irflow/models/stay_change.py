"""A change asked for during the stay abroad: an extension, a shortening or an interruption,
and the coordinator's decision on it. Its own small record beside the application: the
application stays `abroad` whatever is asked or decided."""

from flask_babel import lazy_gettext as _l

from .base import UTCDateTime, db, enum_check, sa, utcnow

STAY_CHANGE_KINDS = {
    "extension": _l("Extension"),
    "shortening": _l("Shortening"),
    "interruption": _l("Interruption"),
}
STAY_CHANGE_STATES = {
    "requested": _l("Waiting for a decision"),
    "approved": _l("Approved"),
    "refused": _l("Refused"),
}


class StayChange(db.Model):
    __tablename__ = "stay_changes"
    __table_args__ = (
        enum_check("kind", tuple(STAY_CHANGE_KINDS)),
        enum_check("state", tuple(STAY_CHANGE_STATES)),
        sa.CheckConstraint(
            "interruption_from IS NULL OR interruption_to IS NULL OR interruption_to >= interruption_from",
            name="interruption_range",
        ),
        # One open request per application, also against two submissions at the same moment.
        sa.Index(
            "uq_stay_changes_one_open",
            "application_id",
            unique=True,
            sqlite_where=sa.text("state = 'requested'"),
            postgresql_where=sa.text("state = 'requested'"),
        ),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    application_id = sa.Column(sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = sa.Column(sa.String(20), nullable=False)
    force_majeure = sa.Column(sa.Boolean, nullable=False, default=False)
    force_majeure_explanation = sa.Column(sa.Text)
    # Extension and shortening: the planned end asked for.
    new_end = sa.Column(sa.Date)
    # Interruption: its first and last day (both included).
    interruption_from = sa.Column(sa.Date)
    interruption_to = sa.Column(sa.Date)
    # The planned end when the request was made, so the history says what it changed from.
    previous_end = sa.Column(sa.Date)
    reason = sa.Column(sa.Text, nullable=False)
    state = sa.Column(sa.String(20), nullable=False, default="requested")
    requested_by_id = sa.Column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_by_id = sa.Column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at = sa.Column(UTCDateTime)
    comment = sa.Column(sa.Text)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    version = sa.Column(sa.Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    application = db.relationship("Application")
    requested_by = db.relationship("User", foreign_keys=[requested_by_id])
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])

    @property
    def is_open(self):
        return self.state == "requested"

    @property
    def interruption_days(self):
        """Days of the interruption, both ends included: they are not mobility days."""
        if self.kind != "interruption" or self.interruption_from is None or self.interruption_to is None:
            return 0
        return (self.interruption_to - self.interruption_from).days + 1

    def __repr__(self):
        return f"<StayChange {self.id} {self.kind} {self.state}>"
