"""The learning agreement of a study mobility over HTTP: drafted by the participant, returned
and approved by the faculty's coordinator, signed and uploaded; departure refused until it
is approved and signed; seen by those who see the application, never by an examiner or
another faculty's coordinator; a stale form refused."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from irflow.extensions import db
from irflow.models import Document, LearningAgreement, StaffMobilityAgreement

from .fixtures.applications import fire, upload
from .fixtures.factories import (
    CallFactory,
    UserFactory,
    add_approved_staff_agreement,
    application_in,
    notifications_for,
    stored_state,
)
from .fixtures.files import PDF
from .fixtures.web import client_for, follow, post, text_of


@pytest.fixture
def leaving(app):
    """A study mobility accepted by its host, its learning agreement not written yet."""
    application = application_in("host_accepted")
    db.session.execute(sa.delete(LearningAgreement).where(LearningAgreement.application_id == application.id))
    db.session.execute(
        sa.delete(Document).where(Document.application_id == application.id, Document.kind == "learning_agreement")
    )
    db.session.commit()
    owner = client_for(app, application.applicant)
    coordinator = client_for(app, UserFactory(coordinates=[application.faculty]))
    return application, owner, coordinator


def page_of(client, application):
    return client.get(f"/applications/{application.id}/learning-agreement")


def shown_version(page):
    return re.search(r'name="version" (?:type="hidden" )?value="(\d*)"', page).group(1)


def courses(side, *rows):
    """Form fields of course rows: (code, title, ects)."""
    data = {}
    for index, (code, title, ects) in enumerate(rows):
        data.update(
            {
                f"{side}-{index}-code": code,
                f"{side}-{index}-title": title,
                f"{side}-{index}-ects": ects,
                f"{side}-{index}-semester": "Winter 2027",
            }
        )
    return data


def save(client, application, *, host, home, language="English", version=None):
    path = f"/applications/{application.id}/learning-agreement/edit"
    if version is None:
        version = shown_version(text_of(client.get(path)))
    data = {"language_of_instruction": language, "version": version, **courses("host", *host), **courses("home", *home)}
    return post(client, path, data)


def submit(client, application):
    version = shown_version(text_of(page_of(client, application)))
    return post(client, f"/applications/{application.id}/learning-agreement/submit", {"version": version})


def decide(client, application, decision, comment=""):
    version = shown_version(text_of(page_of(client, application)))
    return post(
        client,
        f"/applications/{application.id}/learning-agreement/decision",
        {"version": version, "decision": decision, "comment": comment},
    )


def depart(client, application):
    return fire(client, application.id, "depart", date=(date.today() - timedelta(days=1)).isoformat())


def agreement_state(application):
    db.session.expire_all()
    return db.session.scalar(
        sa.select(LearningAgreement.state).where(LearningAgreement.application_id == application.id)
    )


def test_drafted_returned_approved_signed_then_departure(leaving):
    application, owner, coordinator = leaving

    # Without an agreement the departure is refused, with both reasons.
    refused = text_of(follow(owner, depart(owner, application)))
    assert "The learning agreement must be approved before departure." in refused
    assert "Upload the learning agreement signed by the participant and both institutions." in refused
    assert stored_state(application)[0] == "host_accepted"
    assert "Not written yet." in text_of(owner.get(f"/applications/{application.id}"))

    # A draft too short for the mobility (5 months: one semester, 20 ECTS) cannot be submitted.
    answer = save(owner, application, host=[("CS101", "Algorithms", "10")], home=[("", "Algorithms 1", "10")])
    assert answer.status_code == 302 and agreement_state(application) == "draft"
    refused = text_of(follow(owner, submit(owner, application)))
    assert "The courses at the host add up to 10.0 ECTS; at least 20 are needed for this mobility." in refused
    assert agreement_state(application) == "draft"

    save(
        owner,
        application,
        host=[("CS101", "Algorithms", "10"), ("CS205", "Databases", "12,5")],
        home=[("", "Algorithms 1", "10"), ("", "Databases", "12.5")],
    )
    assert submit(owner, application).status_code == 302
    assert agreement_state(application) == "submitted"
    page = text_of(page_of(owner, application))
    assert 'data-total="host">22.5<' in page.replace(",", ".") and "Databases" in page
    # Submitted: the participant no longer edits it.
    assert owner.get(f"/applications/{application.id}/learning-agreement/edit").status_code == 404

    # Returning it needs a comment; the participant reads it and changes the courses.
    refused = text_of(follow(coordinator, decide(coordinator, application, "return")))
    assert "Say what should be changed." in refused and agreement_state(application) == "submitted"
    decide(coordinator, application, "return", comment="Databases is taught in the summer term.")
    assert agreement_state(application) == "returned"
    assert "Databases is taught in the summer term." in text_of(page_of(owner, application))
    save(
        owner,
        application,
        host=[("CS101", "Algorithms", "10"), ("CS310", "Networks", "12")],
        home=[("", "Algorithms 1", "10"), ("", "Computer networks", "12")],
    )
    submit(owner, application)
    decide(coordinator, application, "approve")
    assert agreement_state(application) == "approved"
    assert "Approved on" in text_of(page_of(owner, application))

    # Approved but not yet signed: still no departure.
    refused = text_of(follow(owner, depart(owner, application)))
    assert "Upload the learning agreement signed by the participant and both institutions." in refused
    assert "must be approved" not in refused
    assert upload(owner, application.id, "learning_agreement", PDF, "la-signed.pdf").status_code == 302
    assert "la-signed.pdf" in text_of(page_of(coordinator, application))

    assert depart(owner, application).status_code == 302
    assert stored_state(application)[0] == "abroad"


def test_a_course_row_needs_its_title_and_credits(leaving):
    application, owner, _coordinator = leaving
    answer = save(owner, application, host=[("CS101", "", "7"), ("", "Networks", "")], home=[])
    assert answer.status_code == 400
    page = text_of(answer)
    assert "Give the course's title." in page and "Give the course's ECTS credits." in page
    assert 'href="#host-0-title"' in page  # the error summary links to the field
    assert agreement_state(application) is None


def test_a_stale_form_is_refused_and_nothing_saved(leaving):
    application, owner, _coordinator = leaving
    save(owner, application, host=[("CS101", "Algorithms", "25")], home=[("", "Algorithms 1", "25")])
    opened = shown_version(text_of(owner.get(f"/applications/{application.id}/learning-agreement/edit")))
    save(owner, application, host=[("CS101", "Algorithms", "30")], home=[("", "Algorithms 1", "30")])
    answer = save(owner, application, host=[("X", "Other", "20")], home=[("", "Y", "20")], version=opened)
    assert answer.status_code == 409
    assert "changed by someone else" in text_of(answer)
    db.session.expire_all()
    agreement = db.session.scalar(
        sa.select(LearningAgreement).where(LearningAgreement.application_id == application.id)
    )
    assert [course.title for course in agreement.courses_on("host")] == ["Algorithms"]


def test_only_those_who_see_the_application_see_it(app, leaving):
    application, _owner, coordinator = leaving
    path = f"/applications/{application.id}/learning-agreement"
    assert coordinator.get(path).status_code == 200
    assert client_for(app, UserFactory(roles=["head"])).get(path).status_code == 200
    for outsider in (
        UserFactory(roles=["examiner"]),
        UserFactory(coordinates=[application_in("submitted").faculty]),
        UserFactory(),
    ):
        assert client_for(app, outsider).get(path).status_code == 404
    # The participant does not decide on their own agreement.
    assert post(client_for(app, application.applicant), f"{path}/decision", {"decision": "approve"}).status_code == 302
    assert agreement_state(application) is None


def test_no_learning_agreement_before_the_place_is_confirmed_or_for_staff(app):
    selected = application_in("selected")
    assert client_for(app, selected.applicant).get(f"/applications/{selected.id}/learning-agreement").status_code == 404
    teaching = application_in("host_accepted", call=CallFactory(mobility_type="teaching"))
    owner = client_for(app, teaching.applicant)
    assert owner.get(f"/applications/{teaching.id}/learning-agreement").status_code == 404
    # A staff mobility leaves without one, but needs its mobility agreement (test_staff_agreement.py).
    db.session.execute(sa.delete(StaffMobilityAgreement).where(StaffMobilityAgreement.application_id == teaching.id))
    db.session.commit()
    refused = text_of(follow(owner, depart(owner, teaching)))
    assert "The mobility agreement must be approved before departure." in refused
    assert "learning agreement" not in refused
    add_approved_staff_agreement(teaching)
    assert depart(owner, teaching).status_code == 302
    assert stored_state(teaching)[0] == "abroad"


def test_a_write_that_loses_in_the_database_is_told_not_a_server_error(leaving, monkeypatch):
    """Two saves at once: the one that loses meets the version check in the database
    (StaleDataError), and hears that someone else changed it."""
    from sqlalchemy.orm.exc import StaleDataError

    from irflow.agreements import operations

    application, owner, _coordinator = leaving

    def lost(*args, **kwargs):
        raise StaleDataError("UPDATE statement on table 'learning_agreements' expected to update 1 row(s)")

    monkeypatch.setattr(operations, "save_draft", lost)
    answer = save(owner, application, host=[("CS101", "Algorithms", "25")], home=[("", "Algorithms 1", "25")])
    assert answer.status_code == 409
    assert "This record was changed by someone else. Nothing was saved" in text_of(answer)


def test_the_coordinators_hear_of_a_submitted_agreement_and_the_participant_of_the_decision(leaving):
    application, owner, coordinator = leaving
    save(owner, application, host=[("CS101", "Algorithms", "30")], home=[("", "Algorithms 1", "30")])
    assert notifications_for(application) == []

    assert submit(owner, application).status_code == 302
    [to_coordinator] = notifications_for(application)
    assert to_coordinator.recipient_email != application.applicant.email
    assert "learning agreement" in to_coordinator.subject
    assert f"/applications/{application.id}/learning-agreement" in to_coordinator.body

    decide(coordinator, application, "return", comment="Add a course in the spring.")
    returned = notifications_for(application)[-1]
    assert returned.recipient_email == application.applicant.email
    assert "returned" in returned.subject and "Add a course in the spring." in returned.body

    submit(owner, application)
    decide(coordinator, application, "approve")
    approved = notifications_for(application)[-1]
    assert approved.recipient_email == application.applicant.email and "approved" in approved.subject
