"""The mobility agreement of a staff mobility over HTTP: drafted by the participant, returned
and approved by the faculty's coordinator, signed and uploaded; departure refused until it
is approved and signed; its days (5 to 60, within the span) and teaching hours (8 a week)
checked; seen by those who see the application, never by an examiner or another faculty's
coordinator; a stale form refused."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from irflow.extensions import db
from irflow.models import Document, StaffMobilityAgreement

from .fixtures.applications import fire, upload
from .fixtures.factories import CallFactory, UserFactory, application_in, notifications_for, stored_state
from .fixtures.files import PDF
from .fixtures.web import client_for, follow, post, text_of


def leaving_for(app, mobility_type):
    """A staff mobility accepted by its host, its mobility agreement not written yet."""
    application = application_in("host_accepted", call=CallFactory(mobility_type=mobility_type))
    db.session.execute(sa.delete(StaffMobilityAgreement).where(StaffMobilityAgreement.application_id == application.id))
    db.session.execute(
        sa.delete(Document).where(Document.application_id == application.id, Document.kind == "mobility_agreement")
    )
    db.session.commit()
    owner = client_for(app, application.applicant)
    coordinator = client_for(app, UserFactory(coordinates=[application.faculty]))
    return application, owner, coordinator


@pytest.fixture
def leaving(app):
    return leaving_for(app, "teaching")


def path_of(application, tail=""):
    return f"/applications/{application.id}/mobility-agreement{tail}"


def shown_version(page):
    return re.search(r'name="version" (?:type="hidden" )?value="(\d*)"', page).group(1)


FIRST_DAY = date(2027, 3, 1)


def save(client, application, *, days="10", span=14, hours="16", version=None, **fields):
    if version is None:
        version = shown_version(text_of(client.get(path_of(application, "/edit"))))
    data = {
        "first_day": FIRST_DAY.isoformat(),
        "last_day": (FIRST_DAY + timedelta(days=span - 1)).isoformat(),
        "days": days,
        "teaching_hours": hours,
        "language": "English",
        "objectives": "Share methods of teaching algorithms.",
        "activities": "Lectures and a seminar for master students.",
        "expected_outcomes": "A joint course outline.",
        "version": version,
        **fields,
    }
    return post(client, path_of(application, "/edit"), data)


def submit(client, application):
    version = shown_version(text_of(client.get(path_of(application))))
    return post(client, path_of(application, "/submit"), {"version": version})


def decide(client, application, decision, comment=""):
    version = shown_version(text_of(client.get(path_of(application))))
    return post(
        client, path_of(application, "/decision"), {"version": version, "decision": decision, "comment": comment}
    )


def depart(client, application):
    return fire(client, application.id, "depart", date=(date.today() - timedelta(days=1)).isoformat())


def agreement_of(application):
    db.session.expire_all()
    return db.session.scalar(
        sa.select(StaffMobilityAgreement).where(StaffMobilityAgreement.application_id == application.id)
    )


def state_of(application):
    agreement = agreement_of(application)
    return agreement.state if agreement else None


def test_drafted_returned_approved_signed_then_departure(leaving):
    application, owner, coordinator = leaving

    refused = text_of(follow(owner, depart(owner, application)))
    assert "The mobility agreement must be approved before departure." in refused
    assert "Upload the mobility agreement signed by the participant and both institutions." in refused
    assert stored_state(application)[0] == "host_accepted"
    card = text_of(owner.get(f"/applications/{application.id}"))
    assert 'id="mobility-agreement"' in card and "Not written yet." in card

    assert save(owner, application).status_code == 302
    assert state_of(application) == "draft"
    assert submit(owner, application).status_code == 302
    assert state_of(application) == "submitted"
    # Submitted: the participant no longer edits it.
    assert owner.get(path_of(application, "/edit")).status_code == 404

    refused = text_of(follow(coordinator, decide(coordinator, application, "return")))
    assert "Say what should be changed." in refused and state_of(application) == "submitted"
    decide(coordinator, application, "return", comment="Add the dates of the seminar to the programme.")
    assert state_of(application) == "returned"
    assert "Add the dates of the seminar to the programme." in text_of(owner.get(path_of(application)))
    save(owner, application, activities="Lectures on 2–4 March, a seminar on 8 March.")
    submit(owner, application)
    decide(coordinator, application, "approve")
    agreement = agreement_of(application)
    assert agreement.state == "approved" and agreement.days == 10 and agreement.teaching_hours == 16
    assert "Approved on" in text_of(owner.get(path_of(application)))

    # Approved but not yet signed: still no departure.
    refused = text_of(follow(owner, depart(owner, application)))
    assert "Upload the mobility agreement signed by the participant and both institutions." in refused
    assert "must be approved" not in refused
    assert upload(owner, application.id, "mobility_agreement", PDF, "ma-signed.pdf").status_code == 302
    assert "ma-signed.pdf" in text_of(coordinator.get(path_of(application)))

    assert depart(owner, application).status_code == 302
    assert stored_state(application)[0] == "abroad"


@pytest.mark.parametrize(
    ("days", "span", "message"),
    [
        ("4", 14, "A staff mobility lasts from 5 to 60 days of activity."),
        ("61", 90, "A staff mobility lasts from 5 to 60 days of activity."),
        ("12", 10, "12 days of activity do not fit between the first and the last day (10 days)."),
    ],
)
def test_days_out_of_range_are_refused(leaving, days, span, message):
    application, owner, _coordinator = leaving
    answer = save(owner, application, days=days, span=span, hours="100")
    assert answer.status_code == 400
    assert message in text_of(answer)
    assert 'href="#days"' in text_of(answer)  # the error summary links to the field
    assert agreement_of(application) is None


def test_teaching_hours_below_eight_a_week_are_refused(leaving):
    application, owner, _coordinator = leaving
    # 10 days are two started weeks: 16 hours at least.
    answer = save(owner, application, days="10", hours="15")
    assert answer.status_code == 400
    assert "Teaching needs at least 8 hours a week: at least 16 hours for 10 days." in text_of(answer)
    assert agreement_of(application) is None
    answer = save(owner, application, days="10", hours="")
    assert answer.status_code == 400 and "Give the teaching hours." in text_of(answer)


def test_the_programme_is_required(leaving):
    application, owner, _coordinator = leaving
    answer = save(owner, application, objectives=" ", expected_outcomes="")
    assert answer.status_code == 400
    page = text_of(answer)
    assert "Give the objectives of the mobility." in page and "Give the expected outcomes." in page
    assert agreement_of(application) is None
    # Typed nonsense is refused next to its field, never a server error.
    answer = save(owner, application, days="ten", hours="lots", first_day="1 March")
    assert answer.status_code == 400
    page = text_of(answer)
    assert 'id="days" ' in page and 'href="#days"' in page and 'href="#first_day"' in page
    assert agreement_of(application) is None


def test_a_training_mobility_has_no_teaching_hours(app):
    application, owner, coordinator = leaving_for(app, "training")
    assert 'id="teaching_hours"' not in text_of(owner.get(path_of(application, "/edit")))
    assert save(owner, application, days="5", span=5, hours="1").status_code == 302
    assert agreement_of(application).teaching_hours is None
    submit(owner, application)
    decide(coordinator, application, "approve")
    refused = text_of(follow(owner, depart(owner, application)))
    assert "Upload the mobility agreement signed" in refused and "must be approved" not in refused
    upload(coordinator, application.id, "mobility_agreement", PDF, "signed.pdf")
    assert depart(owner, application).status_code == 302
    assert stored_state(application)[0] == "abroad"


def test_a_stale_form_is_refused_and_nothing_saved(leaving):
    application, owner, _coordinator = leaving
    save(owner, application, days="10")
    opened = shown_version(text_of(owner.get(path_of(application, "/edit"))))
    save(owner, application, days="11")
    answer = save(owner, application, days="12", version=opened)
    assert answer.status_code == 409
    assert "changed by someone else" in text_of(answer)
    assert agreement_of(application).days == 11


def test_only_the_owner_drafts_and_only_the_faculty_decides(app, leaving):
    application, owner, coordinator = leaving
    # The coordinator and the head see it but do not write it.
    head = client_for(app, UserFactory(roles=["head"]))
    for staff in (coordinator, head):
        assert staff.get(path_of(application)).status_code == 200
        assert staff.get(path_of(application, "/edit")).status_code == 404
    for outsider in (
        UserFactory(roles=["examiner"]),
        UserFactory(coordinates=[application_in("submitted").faculty]),
        UserFactory(),
    ):
        outsider_client = client_for(app, outsider)
        assert outsider_client.get(path_of(application)).status_code == 404
        assert post(outsider_client, path_of(application, "/edit"), {}).status_code == 404
    save(owner, application)
    submit(owner, application)
    # The participant does not decide on their own agreement; another faculty's coordinator gets 404.
    assert post(owner, path_of(application, "/decision"), {"decision": "approve"}).status_code == 302
    other = client_for(app, UserFactory(coordinates=[application_in("submitted").faculty]))
    assert post(other, path_of(application, "/decision"), {"decision": "approve"}).status_code == 404
    assert state_of(application) == "submitted"
    decide(head, application, "approve")
    assert state_of(application) == "approved"


def test_no_mobility_agreement_before_the_place_is_confirmed_or_for_other_types(app):
    selected = application_in("selected", call=CallFactory(mobility_type="teaching"))
    assert client_for(app, selected.applicant).get(path_of(selected)).status_code == 404
    for mobility_type in ("study", "research", "conference"):
        application = application_in("host_accepted", call=CallFactory(mobility_type=mobility_type))
        owner = client_for(app, application.applicant)
        assert owner.get(path_of(application)).status_code == 404
        assert 'id="mobility-agreement"' not in text_of(owner.get(f"/applications/{application.id}"))
    # Research leaves with neither agreement.
    assert depart(owner, application).status_code == 302
    assert stored_state(application)[0] == "abroad"


def test_the_coordinators_hear_of_a_submitted_mobility_agreement_and_the_participant_of_the_decision(leaving):
    application, owner, coordinator = leaving
    save(owner, application)
    submit(owner, application)
    [to_coordinator] = notifications_for(application)
    assert to_coordinator.recipient_email != application.applicant.email
    assert "mobility agreement" in to_coordinator.subject

    decide(coordinator, application, "approve")
    approved = notifications_for(application)[-1]
    assert approved.recipient_email == application.applicant.email and "approved" in approved.subject
