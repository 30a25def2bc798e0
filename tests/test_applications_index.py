"""My applications: one card per application with its state, the single next step (the one
the application's page offers) and the deadline that matters now, in a constant number of
statements whatever the number of applications."""

import re
from datetime import timedelta

from irflow.extensions import db
from irflow.i18n import format_day, format_moment
from irflow.models import TransitionLog
from irflow.models.base import utcnow

from .fixtures.factories import ApplicationFactory, CallFactory, UserFactory, application_in, one_commit
from .fixtures.querycount import counting_statements
from .fixtures.web import client_for, text_of

CARD = re.compile(r'<li class="card[^"]*" id="application-(\d+)">(.*?)</li>', re.S)


def cards(page):
    """{application id: the card's HTML}."""
    return {int(number): body for number, body in CARD.findall(page)}


def test_each_application_is_a_card_with_state_next_step_and_deadline(app):
    applicant = UserFactory()
    with one_commit():
        draft = application_in("draft", applicant=applicant, call=CallFactory(title="Spring in Dresden"))
        changes = application_in("changes_requested", applicant=applicant)
        changes.changes_due_at = utcnow() + timedelta(days=4)
        selected = application_in("selected", applicant=applicant)
        returned = application_in("returned", applicant=applicant)
        submitted = application_in("submitted", applicant=applicant)
    db.session.add(
        TransitionLog(
            application=changes,
            trigger="request_changes",
            from_state="submitted",
            to_state="changes_requested",
            comment="Add the grades.",
            created_at=utcnow(),  # the request is the application's latest change
        )
    )
    db.session.commit()

    page = text_of(client_for(app, applicant).get("/applications/"))
    shown = cards(page)
    assert set(shown) == {draft.id, changes.id, selected.id, returned.id, submitted.id}
    assert "<table" not in page, "no sideways table"
    with app.test_request_context():
        closes = format_moment(draft.call.closes_at)
        changes_due = format_moment(changes.changes_due_at)
        offer_due = format_moment(selected.offer_deadline)
        report_due = format_day(returned.actual_return + timedelta(days=app.config["REPORT_DUE_DAYS"]))

    card = shown[draft.id]
    assert f'<a href="/applications/{draft.id}">Spring in Dresden</a>' in card
    assert ">Draft<" in card
    assert f'href="/applications/{draft.id}/check">Check and submit</a>' in card
    assert f"Submit by {closes}" in card

    card = shown[changes.id]
    assert ">Changes requested<" in card
    assert f'href="/applications/{changes.id}/edit">Make the changes</a>' in card
    assert f"Changes due {changes_due}" in card

    card = shown[selected.id]
    assert ">Selected<" in card
    assert f'href="/applications/{selected.id}#offer">Confirm the place</a>' in card
    assert f"Reply to the offer by {offer_due}" in card

    card = shown[returned.id]
    assert f'href="/applications/{returned.id}/report">Edit the report</a>' in card
    assert f"Report due: {report_due}" in card

    card = shown[submitted.id]
    assert ">Submitted<" in card
    assert 'id="next-step' not in card and "due" not in card.lower()


def test_the_upload_step_leads_to_the_applications_upload_form(app):
    application = ApplicationFactory()  # filled in, no document uploaded yet
    card = cards(text_of(client_for(app, application.applicant).get("/applications/")))[application.id]
    assert f'href="/applications/{application.id}#upload">Upload your documents</a>' in card


def test_a_draft_of_a_closed_call_has_no_step_and_no_deadline(app):
    call = CallFactory(opens_at=utcnow() - timedelta(days=30), closes_at=utcnow() - timedelta(days=1))
    application = application_in("draft", call=call)
    card = cards(text_of(client_for(app, application.applicant).get("/applications/")))[application.id]
    assert "Check and submit" not in card and "Submit by" not in card


def test_the_list_takes_as_many_statements_for_twenty_applications_as_for_two(app):
    states = ("draft", "changes_requested", "selected", "returned", "submitted", "waitlisted", "abroad")

    def statements_for(count):
        applicant = UserFactory()
        with one_commit():
            applications = [
                application_in(states[number % len(states)], applicant=applicant) for number in range(count)
            ]
        client = client_for(app, applicant)
        client.get("/applications/")  # warm up: first-request work is not what is measured
        with counting_statements() as statements:
            page = text_of(client.get("/applications/"))
        assert set(cards(page)) == {application.id for application in applications}
        return statements

    two, twenty = statements_for(2), statements_for(20)
    assert len(two) == len(twenty), "\n\n".join(twenty)
