"""factory_boy factories, committing so that requests in other sessions see the rows.

`application_in(state)` builds an application that sits in `state` with everything the
guards of that state's outgoing triggers ask for (fields, choices, documents, scores,
allocated place, dates, report). Setting `state` directly is for building fixtures only:
the application code changes state through workflow.fire() alone.
"""

import hashlib
import os
import uuid
from datetime import date, timedelta
from decimal import Decimal

import factory
from argon2 import PasswordHasher
from factory.alchemy import SQLAlchemyModelFactory
from flask import current_app

from irflow.extensions import db
from irflow.models import (
    Application,
    ApplicationChoice,
    Call,
    CallPlace,
    Criterion,
    Document,
    Faculty,
    Partner,
    Program,
    ReturnReport,
    Score,
    User,
)
from irflow.models.application import state_assignment_allowed
from irflow.models.base import utcnow
from irflow.workflow.states import HOLDING_STATES

PASSWORD = "a long walk by the Syr Darya"
# Same cheap Argon2id parameters as TestConfig, so no rehash happens on login.
PASSWORD_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class FacultyFactory(Base):
    class Meta:
        model = Faculty

    name = factory.Sequence(lambda n: f"Faculty {n}")
    code = factory.Sequence(lambda n: f"F{n}")


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    password_hash = PASSWORD_HASH
    full_name_native = factory.Sequence(lambda n: f"Корбар {n}")
    full_name_latin = factory.Sequence(lambda n: f"USER {n}")
    category = "bachelor"
    faculty = factory.SubFactory(FacultyFactory)
    locale = "en"
    active = True

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if extracted:
            self.set_roles(extracted)

    @factory.post_generation
    def coordinates(self, create, extracted, **kwargs):
        """Faculties this user coordinates (gives the coordinator role too)."""
        if extracted:
            self.set_roles(self.roles | {"coordinator"})
            self.coordinated_faculties = list(extracted)
        if create and (extracted or self.role_rows):
            db.session.commit()


class PartnerFactory(Base):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner University {n}")
    country = "DE"
    city = "Berlin"
    kind = "university"


class ProgramFactory(Base):
    class Meta:
        model = Program

    name = factory.Sequence(lambda n: f"Program {n}")
    kind = "erasmus_plus"
    published = True


class CallFactory(Base):
    """An open call with three hosts (2, 1 and 1 places), two test criteria and the grade."""

    class Meta:
        model = Call

    program = factory.SubFactory(ProgramFactory)
    title = factory.Sequence(lambda n: f"Call {n}")
    mobility_type = "study"
    eligible_categories = ["bachelor", "master", "phd", "teacher", "staff"]
    required_document_kinds = ["cv", "passport"]
    academic_year = "2026/2027"
    opens_at = factory.LazyFunction(lambda: utcnow() - timedelta(days=5))
    closes_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=20))
    min_months = 1
    max_months = 10
    minimum_total_score = Decimal(50)
    grade_scale = Decimal(5)
    offer_reply_days = 7
    changes_reply_days = 7
    published = True

    @factory.post_generation
    def places(self, create, extracted, **kwargs):
        counts = extracted if extracted is not None else (2, 1, 1)
        self.places = [CallPlace(partner=PartnerFactory(), places=count, months=5) for count in counts]
        self.criteria = [
            Criterion(name="Language test", source="test", weight=Decimal(2), position=0),
            Criterion(name="Interview", source="test", weight=Decimal(1), position=1),
            Criterion(name="Average grade", source="average_grade", weight=Decimal(1), position=2),
        ]
        if create:
            db.session.commit()

    @factory.post_generation
    def examiners(self, create, extracted, **kwargs):
        if extracted:
            self.examiners = list(extracted)
            db.session.commit()


class ApplicationFactory(Base):
    class Meta:
        model = Application

    call = factory.SubFactory(CallFactory)
    applicant = factory.SubFactory(UserFactory)
    faculty = factory.LazyAttribute(lambda application: application.applicant.faculty)
    state = "draft"
    motivation = "I want to study computer science in Europe and bring it home."
    average_grade = Decimal("4.50")
    language = "English"
    cefr_level = "B2"
    planned_start = date(2027, 2, 1)
    planned_end = date(2027, 6, 30)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # A fixture builds a case already in its state: the explicit bypass of the one door.
        with state_assignment_allowed():
            return super()._create(model_class, *args, **kwargs)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        with state_assignment_allowed():
            return super()._build(model_class, *args, **kwargs)

    @factory.post_generation
    def hosts(self, create, extracted, **kwargs):
        """Ranked host choices: the given CallPlaces, or the call's first two."""
        chosen = extracted if extracted is not None else self.call.places[:2]
        self.choices = [ApplicationChoice(rank=rank, place=place) for rank, place in enumerate(chosen, 1)]
        if create:
            db.session.commit()


def add_document(application, kind, uploader=None):
    """A document row with its file in the upload folder (a row without its file counts
    as missing)."""
    content = f"%PDF-{kind}-{uuid.uuid4()}".encode()
    document = Document(
        application=application,
        kind=kind,
        original_name=f"{kind}.pdf",
        stored_name=uuid.uuid4().hex,
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=uploader or application.applicant,
    )
    folder = current_app.config["UPLOAD_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, document.stored_name), "wb") as stored:
        stored.write(content)
    db.session.add(document)
    db.session.commit()
    return document


def add_scores(application, examiner, values=None):
    """Score every test criterion (by default 80 each)."""
    for criterion in application.call.test_criteria:
        value = Decimal((values or {}).get(criterion.name, 80))
        db.session.add(Score(application=application, criterion=criterion, value=value, examiner=examiner))
    db.session.commit()


def application_in(state, examiner=None, **overrides):
    """An application in `state` whose outgoing triggers' guards all hold."""
    application = ApplicationFactory(state=state, **overrides)
    for kind in application.call.required_document_kinds:
        add_document(application, kind)
    if state != "draft":
        application.submitted_at = utcnow() - timedelta(days=3)
    if state in ("eligible", "tested", "waitlisted", "absent", "not_selected") or state in HOLDING_STATES:
        add_scores(application, examiner or UserFactory(roles=["examiner"]))
    if state in HOLDING_STATES or state in ("declined", "host_rejected"):
        application.allocated_place = application.choices[0].place
        application.offer_deadline = utcnow() + timedelta(days=5)
    if state == "nominated":
        add_document(application, "host_acceptance")
    if state in ("abroad", "returned", "report_submitted", "completed"):
        application.actual_departure = date.today() - timedelta(days=60)
    if state in ("returned", "report_submitted", "completed"):
        application.actual_return = date.today() - timedelta(days=2)
        db.session.add(
            ReturnReport(
                application=application,
                activities="Courses and a lab project.",
                results="30 ECTS passed.",
                credits_recognised=Decimal(30),
            )
        )
        add_document(application, "certificate_of_attendance")
        if application.call.mobility_type == "study":
            add_document(application, "transcript_of_records")
    db.session.commit()
    return application


# --- workflow test helpers ------------------------------------------------------------
# Actor kinds of the workflow table. "system" is the actor None (promotion, cron).
ALLOWED_KINDS = ("owner", "coordinator", "examiner", "head", "admin", "system")
# People close to an application who must never act on it.
OUTSIDER_KINDS = (
    "other_applicant",
    "other_coordinator",
    "other_examiner",
    "inactive_coordinator",
    "inactive_examiner",
    "inactive_head",
    "inactive_admin",
)


def _save_all(users):
    db.session.add_all([user for user in users if user is not None])
    db.session.commit()


def actors_for(application, kinds=ALLOWED_KINDS):
    """{kind: user} for the actor kinds of the table, scoped to `application`: the owner,
    a coordinator of its faculty, an examiner assigned to its call, a head, an admin and
    the system (None). Users are built and saved in one commit: the suite stays fast."""
    makers = {
        "owner": lambda: application.applicant,
        "coordinator": lambda: UserFactory.build(coordinates=[application.faculty]),
        "examiner": lambda: UserFactory.build(roles=["examiner"]),
        "head": lambda: UserFactory.build(roles=["head"]),
        "admin": lambda: UserFactory.build(roles=["admin"]),
        "system": lambda: None,
    }
    people = {kind: makers[kind]() for kind in kinds}
    if "examiner" in people:
        application.call.examiners.append(people["examiner"])
    _save_all(people.values())
    return people


def outsiders_for(application):
    """{kind: user} for near misses: another applicant, a coordinator of another faculty,
    an examiner not assigned to the call, and deactivated holders of each staff role
    (the coordinator still coordinating this faculty, the examiner still assigned)."""
    people = {
        "other_applicant": UserFactory.build(faculty=application.faculty),
        "other_coordinator": UserFactory.build(coordinates=[FacultyFactory.build()]),
        "other_examiner": UserFactory.build(roles=["examiner"]),
        "inactive_coordinator": UserFactory.build(coordinates=[application.faculty], active=False),
        "inactive_examiner": UserFactory.build(roles=["examiner"], active=False),
        "inactive_head": UserFactory.build(roles=["head"], active=False),
        "inactive_admin": UserFactory.build(roles=["admin"], active=False),
    }
    application.call.examiners.append(people["inactive_examiner"])
    _save_all(people.values())
    return people


def staff_applicant():
    """A user who coordinates their own faculty and is head too: staff who apply themselves."""
    faculty = FacultyFactory()
    return UserFactory(faculty=faculty, category="teacher", roles=["head", "examiner"], coordinates=[faculty])


def log_rows(application):
    from irflow.models import TransitionLog

    return db.session.scalars(
        db.select(TransitionLog).where(TransitionLog.application_id == application.id).order_by(TransitionLog.id)
    ).all()


def notifications_for(application):
    from irflow.models import Notification

    return db.session.scalars(
        db.select(Notification).where(Notification.application_id == application.id).order_by(Notification.id)
    ).all()


def stored_state(application):
    """(state, version) as committed or flushed in the database, not as held in memory."""
    row = db.session.execute(
        db.select(Application.state, Application.version).where(Application.id == application.id)
    ).one()
    return tuple(row)


from contextlib import contextmanager  # noqa: E402  (helpers appended below the factories)


@contextmanager
def one_commit():
    """Build several fixtures in one transaction: inside the block the factories flush
    where they would commit, and the block commits once at its end. Several times faster
    (no fsync and no reload of every expired object after each commit); for tests that
    need no commit in between."""
    db.session.commit = db.session.flush
    try:
        yield
    finally:
        del db.session.commit
    db.session.commit()
