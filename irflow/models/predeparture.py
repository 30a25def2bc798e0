"""The pre-departure checklist of a participant: one row per item once someone has changed it
(an item without a row is still to do). The items themselves, their due dates and who
provides them are irflow/predeparture/items.py's."""

from flask_babel import lazy_gettext as _l

from .base import UTCDateTime, db, enum_check, sa, utcnow

PREDEPARTURE_ITEMS = (
    "invitation_letter",
    "visa",
    "accommodation",
    "travel_tickets",
    "insurance",
    "certificate_of_arrival",
)
PREDEPARTURE_STATES = {
    "todo": _l("To do"),
    "done": _l("Done"),
    "not_needed": _l("Not needed"),
}
VISA_DECISIONS = {
    "pending": _l("Waiting for the decision"),
    "granted": _l("Granted"),
    "refused": _l("Refused"),
}


class PredepartureItem(db.Model):
    __tablename__ = "predeparture_items"
    __table_args__ = (
        enum_check("item", PREDEPARTURE_ITEMS),
        enum_check("state", tuple(PREDEPARTURE_STATES)),
        sa.CheckConstraint(
            "visa_decision IS NULL OR visa_decision IN ('pending', 'granted', 'refused')", name="visa_decision_valid"
        ),
        sa.CheckConstraint(
            "covered_from IS NULL OR covered_to IS NULL OR covered_to >= covered_from", name="covered_range"
        ),
        sa.UniqueConstraint("application_id", "item"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    application_id = sa.Column(sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False)
    item = sa.Column(sa.String(30), nullable=False)
    state = sa.Column(sa.String(20), nullable=False, default="todo")
    # Why the coordinator decided the item is not needed.
    reason = sa.Column(sa.Text)
    visa_appointment = sa.Column(sa.Date)
    visa_decision = sa.Column(sa.String(20))
    # The days the insurance policy covers.
    covered_from = sa.Column(sa.Date)
    covered_to = sa.Column(sa.Date)
    updated_by_id = sa.Column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    version = sa.Column(sa.Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    application = db.relationship("Application")
    updated_by = db.relationship("User", foreign_keys=[updated_by_id])

    @property
    def settled(self):
        return self.state in ("done", "not_needed")

    def __repr__(self):
        return f"<PredepartureItem {self.application_id} {self.item} {self.state}>"


class PredepartureItemChange(db.Model):
    """Each change of a checklist item (done, not needed with its reason, to do again), kept
    for the application's history: the item's own row holds only its latest state."""

    __tablename__ = "predeparture_item_changes"
    __table_args__ = (
        enum_check("item", PREDEPARTURE_ITEMS),
        enum_check("state", tuple(PREDEPARTURE_STATES)),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    application_id = sa.Column(sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False, index=True)
    item = sa.Column(sa.String(30), nullable=False)
    state = sa.Column(sa.String(20), nullable=False)
    reason = sa.Column(sa.Text)
    actor_id = sa.Column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    application = db.relationship("Application")
    actor = db.relationship("User", foreign_keys=[actor_id])

    def __repr__(self):
        return f"<PredepartureItemChange {self.application_id} {self.item} {self.state}>"
