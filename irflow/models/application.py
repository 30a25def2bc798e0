from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy.orm.attributes import NEVER_SET, NO_VALUE

from .base import CEFR_LEVELS, UTCDateTime, db, enum_check, sa, utcnow
from .states import STATES


class Application(db.Model):
    __tablename__ = "applications"
    __table_args__ = (
        # One live application per call and applicant; a withdrawn one may be followed by a new one.
        sa.Index(
            "uq_applications_call_id_applicant_id_live",
            "call_id",
            "applicant_id",
            unique=True,
            sqlite_where=sa.text("state <> 'withdrawn'"),
            postgresql_where=sa.text("state <> 'withdrawn'"),
        ),
        enum_check("state", STATES),
        sa.CheckConstraint(
            "cefr_level IS NULL OR cefr_level IN ({})".format(", ".join(f"'{level}'" for level in CEFR_LEVELS)),
            name="cefr_level_valid",
        ),
        sa.CheckConstraint("average_grade IS NULL OR average_grade >= 0", name="average_grade_not_negative"),
        sa.CheckConstraint(
            "planned_end IS NULL OR planned_start IS NULL OR planned_end > planned_start", name="planned_range"
        ),
        sa.CheckConstraint(
            "actual_return IS NULL OR actual_departure IS NULL OR actual_return >= actual_departure",
            name="actual_range",
        ),
        sa.Index("ix_applications_call_id_state", "call_id", "state"),
        sa.Index("ix_applications_faculty_id_state", "faculty_id", "state"),
        # The review queue's order (submitted_at NULLS LAST, id), read from the index page by
        # page, in all states or in one; with the applicant, so that a search walks the queue
        # in its order from the index alone and looks up only the applicants.
        sa.Index("ix_applications_submitted_at_id_applicant_id", "submitted_at", "id", "applicant_id"),
        sa.Index("ix_applications_state_submitted_at_id", "state", "submitted_at", "id"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    call_id = sa.Column(sa.ForeignKey("calls.id", ondelete="RESTRICT"), nullable=False)
    applicant_id = sa.Column(sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False, index=True)
    # The applicant's faculty when they applied: the coordinator scope does not move if they change faculty.
    faculty_id = sa.Column(sa.ForeignKey("faculties.id", ondelete="RESTRICT"))
    state = sa.Column(sa.String(20), nullable=False, default="draft")
    version = sa.Column(sa.Integer, nullable=False)

    motivation = sa.Column(sa.Text)
    average_grade = sa.Column(sa.Numeric(5, 2))
    language = sa.Column(sa.String(40))
    cefr_level = sa.Column(sa.String(2))
    planned_start = sa.Column(sa.Date)
    planned_end = sa.Column(sa.Date)

    allocated_place_id = sa.Column(sa.ForeignKey("call_places.id", ondelete="RESTRICT"), index=True)
    total_score = sa.Column(sa.Numeric(6, 2))
    rank = sa.Column(sa.Integer)
    offer_deadline = sa.Column(UTCDateTime)
    changes_due_at = sa.Column(UTCDateTime)
    actual_departure = sa.Column(sa.Date)
    actual_return = sa.Column(sa.Date)

    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    # First submission: ties in the ranking go to the earlier one, and a resubmission keeps it.
    submitted_at = sa.Column(UTCDateTime)

    __mapper_args__ = {"version_id_col": version}

    call = db.relationship("Call", lazy="joined", innerjoin=True)
    applicant = db.relationship("User", lazy="joined", innerjoin=True, foreign_keys=[applicant_id])
    faculty = db.relationship("Faculty")
    allocated_place = db.relationship("CallPlace")
    choices = db.relationship(
        "ApplicationChoice",
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="ApplicationChoice.rank",
    )
    documents = db.relationship(
        "Document",
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="Document.uploaded_at",
    )
    scores = db.relationship("Score", back_populates="application", cascade="all, delete-orphan")
    report = db.relationship("ReturnReport", back_populates="application", uselist=False, cascade="all, delete-orphan")
    recognitions = db.relationship(
        "Recognition", back_populates="application", cascade="all, delete-orphan", order_by="Recognition.position"
    )
    participant_data = db.relationship(
        "ParticipantData", back_populates="application", uselist=False, cascade="all, delete-orphan"
    )
    log = db.relationship(
        "TransitionLog", back_populates="application", order_by="TransitionLog.id", passive_deletes="all"
    )

    @property
    def chosen_places(self):
        return [choice.place for choice in self.choices]

    def document_kinds(self):
        """Kinds of the documents that count: removed ones and lost files do not."""
        return {document.kind for document in self.documents if document.counts()}

    def __repr__(self):
        return f"<Application {self.id} {self.state}>"


class StateChangeOutsideWorkflow(RuntimeError):
    """`Application.state` was assigned outside `workflow.fire()`: a defect, never user input."""


# True inside workflow.fire() (and inside a test fixture that builds a case on purpose).
_state_assignment_allowed = ContextVar("irflow_state_assignment_allowed", default=False)


@contextmanager
def state_assignment_allowed():
    """Open the one door for the block. workflow.fire() does this around its transition;
    test factories do it to build an application that already sits in some state."""
    token = _state_assignment_allowed.set(True)
    try:
        yield
    finally:
        _state_assignment_allowed.reset(token)


@sa.event.listens_for(Application.state, "set")
def _state_changes_only_through_fire(target, value, old_value, initiator):
    if _state_assignment_allowed.get() or value == old_value:
        return
    new_draft = old_value in (NO_VALUE, NEVER_SET) and value == "draft"
    if not new_draft:
        raise StateChangeOutsideWorkflow(
            f"Application {target.id}: state {old_value!r} -> {value!r} outside workflow.fire()"
        )


class ApplicationChoice(db.Model):
    """One of the applicant's 1–3 ranked host choices among the call's places."""

    __tablename__ = "application_choices"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "call_place_id"),
        sa.CheckConstraint("rank BETWEEN 1 AND 3", name="rank_range"),
    )

    application_id = sa.Column(sa.ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    rank = sa.Column(sa.Integer, primary_key=True)
    call_place_id = sa.Column(sa.ForeignKey("call_places.id", ondelete="RESTRICT"), nullable=False, index=True)

    application = db.relationship("Application", back_populates="choices")
    place = db.relationship("CallPlace", lazy="joined", innerjoin=True)
