"""The application policy as a matrix: every state x every viewer, for each question the
policy answers, against tables written out by hand. Loosening (or tightening) any rule
fails here; the queries (`visible_filter`, `application_or_404`) are held to the same
table as `may_view`.

Viewers: the owner; a coordinator of the application's faculty; a coordinator of another
faculty; an examiner of the application's call; the head; a user who is only admin; another
applicant of the same faculty; an owner who has been deactivated (of an application of
their own in the same state).
"""

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from irflow.applications import policy
from irflow.extensions import db
from irflow.models import Application, Document
from irflow.models.base import utcnow
from irflow.models.states import STATES

from .fixtures.factories import ApplicationFactory, FacultyFactory, UserFactory, one_commit

VIEWERS = (
    "owner",
    "coordinator",
    "other_coordinator",
    "examiner",
    "head",
    "admin",
    "other_applicant",
    "deactivated_owner",
)


def _table(rows):
    """{state: set of viewers} from {state: "viewer viewer ..."}; every state must be listed."""
    assert set(rows) == set(STATES), set(STATES) ^ set(rows)
    return {state: set(viewers.split()) for state, viewers in rows.items()}


# Who opens the application (its page, documents, history and messages).
MAY_VIEW = _table(
    {
        "draft": "owner head admin",
        "submitted": "owner coordinator head admin",
        "changes_requested": "owner coordinator head admin",
        "eligible": "owner coordinator head admin",
        "ineligible": "owner coordinator head admin",
        "tested": "owner coordinator head admin",
        "absent": "owner coordinator head admin",
        "selected": "owner coordinator head admin",
        "waitlisted": "owner coordinator head admin",
        "not_selected": "owner coordinator head admin",
        "confirmed": "owner coordinator head admin",
        "declined": "owner coordinator head admin",
        "nominated": "owner coordinator head admin",
        "host_accepted": "owner coordinator head admin",
        "host_rejected": "owner coordinator head admin",
        "abroad": "owner coordinator head admin",
        "returned": "owner coordinator head admin",
        "report_submitted": "owner coordinator head admin",
        "completed": "owner coordinator head admin",
        "withdrawn": "owner coordinator head admin",
        "cancelled": "owner coordinator head admin",
    }
)

# Who edits the details (and is shown what is missing before submitting).
MAY_EDIT = _table(
    {
        "draft": "owner",
        "submitted": "",
        "changes_requested": "owner",
        "eligible": "",
        "ineligible": "",
        "tested": "",
        "absent": "",
        "selected": "",
        "waitlisted": "",
        "not_selected": "",
        "confirmed": "",
        "declined": "",
        "nominated": "",
        "host_accepted": "",
        "host_rejected": "",
        "abroad": "",
        "returned": "",
        "report_submitted": "",
        "completed": "",
        "withdrawn": "",
        "cancelled": "",
    }
)

# Staff who see the application: removed and replaced documents, every message, and the
# total score and rank before the selection is confirmed.
STAFF_WHO_SEE = _table(
    {
        "draft": "head admin",
        "submitted": "coordinator head admin",
        "changes_requested": "coordinator head admin",
        "eligible": "coordinator head admin",
        "ineligible": "coordinator head admin",
        "tested": "coordinator head admin",
        "absent": "coordinator head admin",
        "selected": "coordinator head admin",
        "waitlisted": "coordinator head admin",
        "not_selected": "coordinator head admin",
        "confirmed": "coordinator head admin",
        "declined": "coordinator head admin",
        "nominated": "coordinator head admin",
        "host_accepted": "coordinator head admin",
        "host_rejected": "coordinator head admin",
        "abroad": "coordinator head admin",
        "returned": "coordinator head admin",
        "report_submitted": "coordinator head admin",
        "completed": "coordinator head admin",
        "withdrawn": "coordinator head admin",
        "cancelled": "coordinator head admin",
    }
)

# The kinds each viewer may upload, where they may upload any (everyone else: none). The
# factory's call asks for a CV and a passport; "other" is always accepted while editing.
CERTIFICATES = ["certificate_of_attendance", "transcript_of_records"]
# The pre-departure checklist's evidence, from either side, until abroad (the certificate of arrival once there).
PREDEPARTURE = ["visa", "insurance_policy", "travel_tickets", "accommodation", "invitation_letter"]
ABROAD = [*CERTIFICATES, *PREDEPARTURE, "certificate_of_arrival"]
# The signed agreement of the mobility (learning agreement for study, mobility agreement for
# teaching and training, none otherwise), by the participant or the office, before departure.
SIGNED_BY_MOBILITY_TYPE = {
    "study": ["learning_agreement"],
    "teaching": ["mobility_agreement"],
    "training": ["mobility_agreement"],
    "research": [],
    "conference": [],
}


def uploads_with(signed):
    return {
        "draft": {"owner": ["cv", "passport", "other"]},
        "changes_requested": {"owner": ["cv", "passport", "other"]},
        "confirmed": {"owner": [*signed, *PREDEPARTURE], "coordinator": [*signed, *PREDEPARTURE]},
        "nominated": {"owner": [*signed, *PREDEPARTURE], "coordinator": ["host_acceptance", *signed, *PREDEPARTURE]},
        "host_accepted": {"owner": [*signed, *PREDEPARTURE], "coordinator": [*signed, *PREDEPARTURE]},
        "abroad": {"owner": ABROAD, "coordinator": ABROAD},
        "returned": {"owner": CERTIFICATES, "coordinator": CERTIFICATES},
        "report_submitted": {"coordinator": CERTIFICATES},
    }


# The factory's calls are study calls.
UPLOADS = uploads_with(SIGNED_BY_MOBILITY_TYPE["study"])

# The documents of each application (see _documents), and who may delete which, where
# anyone may (everyone else: none). A removed document is never deleted again.
DELETES = {
    "draft": {"owner": {"own_other"}},
    "changes_requested": {"owner": {"own_other"}},
    "abroad": {"owner": {"own_certificate"}, "coordinator": {"office_certificate"}},
    "returned": {"owner": {"own_certificate"}, "coordinator": {"office_certificate"}},
    "report_submitted": {"coordinator": {"office_certificate"}},
}


@pytest.fixture
def world(app):
    """For every state, an application of the owner and one of the deactivated owner (same
    faculty, each to a call of its own), and the viewers."""
    with one_commit():
        faculty = FacultyFactory()
        people = {
            "owner": UserFactory(faculty=faculty),
            "coordinator": UserFactory(coordinates=[faculty]),
            "other_coordinator": UserFactory(coordinates=[FacultyFactory()]),
            "examiner": UserFactory(roles=["examiner"]),
            "head": UserFactory(roles=["head"]),
            "admin": UserFactory(roles=["admin"]),
            "other_applicant": UserFactory(faculty=faculty),
            "deactivated_owner": UserFactory(faculty=faculty, active=False),
        }
        applications = {}
        for state in STATES:
            for owner in ("owner", "deactivated_owner"):
                application = ApplicationFactory(state=state, applicant=people[owner])
                application.call.examiners.append(people["examiner"])
                applications[state, owner] = application
    db.session.commit()
    return people, applications


def _application_for(applications, state, viewer):
    return applications[state, "deactivated_owner" if viewer == "deactivated_owner" else "owner"]


def _documents(application, people):
    """Documents as the policy sees them (not stored: only the policy's fields matter)."""
    owner_id = application.applicant_id

    def document(kind, uploader_id, removed=False):
        return Document(
            application_id=application.id,
            kind=kind,
            uploaded_by_id=uploader_id,
            deleted_at=utcnow() if removed else None,
            deleted_by_id=uploader_id if removed else None,
        )

    return {
        "own_other": document("other", owner_id),
        "own_certificate": document("certificate_of_attendance", owner_id),
        "office_certificate": document("certificate_of_attendance", people["coordinator"].id),
        "removed": document("other", owner_id, removed=True),
    }


def _mismatches(world, question, expected):
    """[(state, viewer, answer, expected)] where `question(user, application)` differs."""
    people, applications = world
    wrong = []
    for state in STATES:
        for viewer in VIEWERS:
            application = _application_for(applications, state, viewer)
            answer = question(people[viewer], application)
            if answer != expected(state, viewer):
                wrong.append((state, viewer, answer, expected(state, viewer)))
    return wrong


def test_the_expected_tables_cover_every_state_and_viewer():
    assert set(UPLOADS) <= set(STATES) and set(DELETES) <= set(STATES)
    for table in (UPLOADS, DELETES):
        assert all(set(row) <= set(VIEWERS) for row in table.values())


@pytest.mark.parametrize(
    ("name", "question", "table"),
    [
        ("may_view", policy.may_view, MAY_VIEW),
        ("may_edit", policy.may_edit, MAY_EDIT),
        ("may_see_removed_documents", policy.may_see_removed_documents, STAFF_WHO_SEE),
        ("may_see_all_messages", policy.may_see_all_messages, STAFF_WHO_SEE),
        ("may_see_result before the selection is confirmed", policy.may_see_result, STAFF_WHO_SEE),
    ],
)
def test_yes_or_no_questions(world, name, question, table):
    assert _mismatches(world, question, lambda state, viewer: viewer in table[state]) == []


def test_the_applicant_sees_the_result_once_the_selection_is_confirmed(world):
    _, applications = world
    for application in applications.values():
        application.call.selection_confirmed_at = utcnow()
    expected = {state: MAY_VIEW[state] - {"deactivated_owner"} for state in STATES}
    assert _mismatches(world, policy.may_see_result, lambda state, viewer: viewer in expected[state]) == []
    db.session.rollback()


def test_is_owner_only_for_the_active_applicant(world):
    assert _mismatches(world, policy.is_owner, lambda state, viewer: viewer == "owner") == []


@pytest.mark.parametrize("mobility_type", list(SIGNED_BY_MOBILITY_TYPE))
def test_uploadable_kinds(world, mobility_type):
    _, applications = world
    for application in applications.values():
        application.call.mobility_type = mobility_type
    uploads = uploads_with(SIGNED_BY_MOBILITY_TYPE[mobility_type])

    def expected(state, viewer):
        return uploads.get(state, {}).get(viewer, [])

    assert _mismatches(world, policy.uploadable_kinds, expected) == []
    assert _mismatches(world, policy.may_upload, lambda state, viewer: bool(expected(state, viewer))) == []
    for kind in (
        "cv",
        "host_acceptance",
        "certificate_of_attendance",
        "transcript",
        *SIGNED_BY_MOBILITY_TYPE["teaching"],
    ):
        assert (
            _mismatches(
                world,
                lambda user, application, kind=kind: policy.may_upload(user, application, kind),
                lambda state, viewer, kind=kind: kind in expected(state, viewer),
            )
            == []
        ), kind
    db.session.rollback()


def test_may_delete(world):
    people, _ = world
    for name in ("own_other", "own_certificate", "office_certificate", "removed"):

        def question(user, application, name=name):
            return policy.may_delete(user, application, _documents(application, people)[name])

        def expected(state, viewer, name=name):
            return name in DELETES.get(state, {}).get(viewer, set())

        assert _mismatches(world, question, expected) == [], name


def test_may_download(world):
    people, applications = world

    def current(user, application):
        return policy.may_download(user, application, _documents(application, people)["own_other"])

    def removed(user, application):
        return policy.may_download(user, application, _documents(application, people)["removed"])

    assert _mismatches(world, current, lambda state, viewer: viewer in MAY_VIEW[state]) == []
    assert _mismatches(world, removed, lambda state, viewer: viewer in STAFF_WHO_SEE[state]) == []

    # A document of another application, never through this one.
    def foreign(user, application):
        other = applications["draft" if application.state != "draft" else "submitted", "owner"]
        return policy.may_download(user, application, _documents(other, people)["own_other"])

    assert _mismatches(world, foreign, lambda state, viewer: False) == []


def test_visible_filter_and_application_or_404_follow_the_table(world):
    people, applications = world
    wrong = []
    for viewer in VIEWERS:
        user = people[viewer]
        relevant = {_application_for(applications, state, viewer).id: state for state in STATES}
        found = set(db.session.scalars(sa.select(Application.id).where(policy.visible_filter(user)))) & set(relevant)
        expected = {application_id for application_id, state in relevant.items() if viewer in MAY_VIEW[state]}
        if found != expected:
            wrong.append((viewer, sorted(relevant[i] for i in found ^ expected)))
        for application_id, state in relevant.items():
            try:
                opened = policy.application_or_404(application_id, user).id == application_id
            except NotFound:
                opened = False
            if opened != (viewer in MAY_VIEW[state]):
                wrong.append((viewer, state, "application_or_404", opened))
    assert wrong == []


def test_nobody_anonymous_or_missing_sees_anything(world):
    _, applications = world

    class Anonymous:
        is_authenticated = False
        active = True
        id = None

    application = applications["submitted", "owner"]
    for user in (None, Anonymous()):
        assert db.session.scalars(sa.select(Application.id).where(policy.visible_filter(user))).all() == []
        assert not policy.may_view(user, application)
        assert not policy.may_edit(user, application)
        assert policy.uploadable_kinds(user, application) == []
