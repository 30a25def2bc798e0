"""The applicant's own pages on a 360 px phone in Tajik: the list of applications as cards
and each application's page with what happens next, in the states an applicant passes
through. Every page passes the checks of check_page (no sideways scrolling, no console
error, no serious or critical axe finding)."""

from datetime import timedelta

from irflow.extensions import db
from irflow.models.base import utcnow

from .fixtures.browser import PHONE, check_page, log_in
from .fixtures.factories import PASSWORD, CallFactory, UserFactory, application_in

STATES = ("draft", "submitted", "changes_requested", "eligible", "selected", "waitlisted", "returned", "withdrawn")


def test_my_applications_and_each_application_on_a_phone_in_tajik(open_page):
    applicant = UserFactory(locale="tg", full_name_native="Раҳимова Дилноза")
    call = CallFactory(
        # A long title, as real calls have: it must wrap, not push the card sideways.
        title="Erasmus+ KA171 International Credit Mobility with the Technische Universität Dresden 2026/2027",
        test_at=utcnow() + timedelta(days=30),
        test_place_tg="Бинои асосӣ, синфхонаи 214",
    )
    applications = [
        application_in(state, applicant=applicant, call=call if state in ("eligible", "withdrawn") else CallFactory())
        for state in STATES
    ]
    applications[STATES.index("changes_requested")].changes_due_at = utcnow() + timedelta(days=5)
    db.session.commit()

    page = open_page(PHONE, "tg")
    log_in(page, applicant, PASSWORD)
    page.goto("/applications/")
    check_page(page)
    assert page.locator("#applications > li.card").count() == len(STATES)
    assert page.locator("main table").count() == 0

    for application in applications:
        page.goto(f"/applications/{application.id}")
        check_page(page)
        assert page.locator("#what-next p").count() >= 1, f"{application.state}: nothing says what happens next"
