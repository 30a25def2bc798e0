"""What happens next, per state: on the owner's application page beside the next step, and
in the message each state change sends (the submission's and the selection's here)."""

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale

from irflow.extensions import db
from irflow.i18n import force_timezone, format_day, format_moment
from irflow.models import Notification
from irflow.models.base import utcnow
from irflow.models.states import STATES

from .fixtures.applications import fire
from .fixtures.factories import ApplicationFactory, CallFactory, UserFactory, application_in
from .fixtures.selection import selection_url
from .fixtures.web import client_for, form_of, text_of

TEST_AT = utcnow().replace(microsecond=0) + timedelta(days=30)

# A few words of each state's text: enough to tell the states apart.
EXPECTED = {
    "draft": "Submit your application by",
    "submitted": "The coordinators of your faculty check your application.",
    "changes_requested": "Please make the changes and resubmit by",
    "eligible": "Your application is eligible: you take the selection test.",
    "ineligible": "Your application was found not eligible",
    "tested": "The results come after the call closes on",
    "absent": "You did not take the test, so this application ends here.",
    "selected": "If you confirm, the place is yours and the coordinator nominates you to the host.",
    "waitlisted": "You are on the waiting list.",
    "not_selected": "You have not been selected in this call.",
    "confirmed": "The coordinator now nominates you to the host",
    "declined": "The place has been declined and goes to the next applicant on the waiting list.",
    "nominated": "Now the host decides",
    "host_accepted": "Prepare your departure",
    "host_rejected": "The host has not accepted you",
    "abroad": "When you are back, record the date of your return",
    "returned": "Fill in your return report",
    "report_submitted": "The coordinator checks your report",
    "completed": "your mobility is complete",
    "withdrawn": "You have withdrawn this application.",
    "cancelled": "The department has cancelled this application",
}


def what_next(page):
    """The text of the "What happens next" panel of an application page."""
    assert 'id="what-next"' in page, "no What happens next panel"
    panel = page[page.index('id="what-next"') :]
    return re.sub(r"[ \t\r\n]+", " ", panel[: panel.index("</section>")])


def owners_page(app, application):
    return text_of(client_for(app, application.applicant).get(f"/applications/{application.id}"))


def formatted(app, value, day=False):
    with app.test_request_context():
        return format_day(value) if day else format_moment(value)


def test_every_state_of_the_workflow_has_its_text():
    assert set(EXPECTED) == set(STATES)


@pytest.mark.parametrize("state", STATES)
def test_the_owners_page_says_what_happens_next(app, state):
    application = application_in(state)
    assert EXPECTED[state] in what_next(owners_page(app, application))


def test_staff_do_not_see_the_owners_what_happens_next(app):
    application = application_in("submitted")
    page = text_of(
        client_for(app, UserFactory(coordinates=[application.faculty])).get(f"/applications/{application.id}")
    )
    assert 'id="what-next"' not in page


def test_after_submission_the_test_date_time_and_place_are_given(app):
    call = CallFactory(test_at=TEST_AT, test_place_en="Main building, room 214")
    panel = what_next(owners_page(app, application_in("submitted", call=call)))
    assert f"The test is on {formatted(app, TEST_AT)} at Main building, room 214." in panel
    panel = what_next(owners_page(app, application_in("eligible", call=call)))
    assert f"The test is on {formatted(app, TEST_AT)} at Main building, room 214." in panel


def test_without_a_test_date_the_department_announces_it(app):
    call = CallFactory(test_at=None, test_place_en="Main building, room 214")
    panel = what_next(owners_page(app, application_in("eligible", call=call)))
    assert "The department will announce the date of the test; it takes place at Main building, room 214." in panel
    panel = what_next(owners_page(app, application_in("eligible", call=CallFactory(test_at=None))))
    assert "The department will announce the date and place of the test." in panel


def test_after_the_test_the_results_come_after_the_call_closes(app):
    application = application_in("tested")
    panel = what_next(owners_page(app, application))
    assert f"after the call closes on {formatted(app, application.call.closes_at)}" in panel


def test_after_selection_the_deadline_to_answer_and_what_each_answer_means(app):
    application = application_in("selected")
    panel = what_next(owners_page(app, application))
    host = application.allocated_place.partner.name
    deadline = formatted(app, application.offer_deadline)
    assert f"You have been offered a place at {host}. Confirm or decline it by {deadline}." in panel
    assert "If you decline, or do not confirm by the deadline, the place goes to the next applicant" in panel


def test_a_waitlisted_applicant_learns_until_when_offers_are_open(app):
    waiting = application_in("waitlisted")
    offered = application_in("selected", call=waiting.call)
    panel = what_next(owners_page(app, waiting))
    assert f"The applicants offered a place have until {formatted(app, offered.offer_deadline)} to answer" in panel


def test_after_the_return_the_report_is_due_by_its_date(app):
    application = application_in("returned")
    due = application.actual_return + timedelta(days=app.config["REPORT_DUE_DAYS"])
    panel = what_next(owners_page(app, application))
    assert f"Submit the report by {formatted(app, due, day=True)}." in panel


def test_a_returned_report_is_told_as_returned(app):
    application = application_in("report_submitted")
    coordinator = UserFactory(coordinates=[application.faculty])
    assert (
        fire(client_for(app, coordinator), application.id, "return_report", comment="Add the grades.").status_code
        == 302
    )
    panel = what_next(owners_page(app, application))
    assert "The coordinator has returned your report" in panel


def test_a_withdrawn_applicant_may_apply_again_while_the_call_is_open(app):
    application = application_in("withdrawn")
    panel = what_next(owners_page(app, application))
    assert f"until {formatted(app, application.call.closes_at)}, you may apply to it again" in panel


def test_the_next_step_button_sits_beside_what_happens_next(app):
    application = application_in("returned")
    panel = what_next(owners_page(app, application))
    assert 'id="next-step"' in panel and "Edit the report" in panel


# --- the messages ---------------------------------------------------------------------------


def notice_to(applicant):
    db.session.expire_all()
    return db.session.scalars(
        db.select(Notification).where(Notification.recipient_id == applicant.id).order_by(Notification.id.desc())
    ).first()


def test_the_submission_message_says_what_happens_next_with_the_test(app):
    call = CallFactory(test_at=TEST_AT, test_place_en="Room 214", test_place_ru="Аудитория 214")
    application = application_in("draft", call=call, applicant=UserFactory(locale="ru"))
    response = fire(client_for(app, application.applicant), application.id, "submit")
    assert response.status_code == 302
    body = notice_to(application.applicant).body
    assert "Координаторы вашего факультета проверяют заявку" in body, "the text in the recipient's language"
    assert "Аудитория 214" in body, "the place in the recipient's language"


def test_the_submission_message_in_english_gives_the_test_date_in_the_recipients_zone(app):
    call = CallFactory(test_at=TEST_AT, test_place_en="Room 214")
    applicant = UserFactory(locale="en", timezone="Europe/Berlin")
    application = application_in("draft", call=call, applicant=applicant)
    assert fire(client_for(app, applicant), application.id, "submit").status_code == 302
    body = notice_to(applicant).body
    with app.test_request_context(), force_locale("en"), force_timezone("Europe/Berlin"):
        when = format_moment(TEST_AT)
    assert "What happens next:" in body
    assert f"The test is on {when} at Room 214." in body


def test_the_selection_message_gives_the_deadline_and_what_confirming_and_declining_mean(
    client, login_as, selection_head, selection
):
    call, people = selection
    login_as(selection_head)
    assert client.post(selection_url(call), data=form_of(client.get(selection_url(call)))).status_code == 302

    ann = people["ann"]
    db.session.refresh(ann)
    body = notice_to(ann.applicant).body
    with client.application.test_request_context():
        deadline = format_moment(ann.offer_deadline)
    assert f"Confirm or decline it by {deadline}." in body
    assert "If you confirm, the place is yours and the coordinator nominates you to the host." in body
    assert "If you decline, or do not confirm by the deadline, the place goes to the next applicant" in body

    dan = people["dan"]  # on the waiting list: until when the offers are open
    assert "You are on the waiting list." in notice_to(dan.applicant).body
    assert f"have until {deadline} to answer" in notice_to(dan.applicant).body


def test_a_draft_of_a_closed_call_says_it_can_no_longer_be_submitted(app):
    call = CallFactory(opens_at=utcnow() - timedelta(days=30), closes_at=utcnow() - timedelta(days=1))
    application = ApplicationFactory(call=call)
    panel = what_next(owners_page(app, application))
    assert "this draft can no longer be submitted" in panel
