"""The mobility agreement of a teaching mobility on a 360 px phone in Tajik: the participant
writes it, with too few teaching hours refused next to the field, and submits it; the
coordinator approves it. Every page passes check_page (no sideways scrolling, no console
error, no serious axe finding)."""

import sqlalchemy as sa

from irflow.extensions import db
from irflow.models import Document, StaffMobilityAgreement

from .fixtures.browser import PHONE, check_page, log_in
from .fixtures.factories import PASSWORD, CallFactory, UserFactory, application_in


def test_the_mobility_agreement_on_a_phone_in_tajik(open_page):
    applicant = UserFactory(locale="tg")
    application = application_in("host_accepted", applicant=applicant, call=CallFactory(mobility_type="teaching"))
    db.session.execute(sa.delete(StaffMobilityAgreement))
    db.session.execute(sa.delete(Document).where(Document.kind == "mobility_agreement"))
    db.session.commit()
    coordinator = UserFactory(coordinates=[application.faculty], locale="tg")

    page = open_page(PHONE, "tg")
    log_in(page, applicant, PASSWORD)
    page.goto(f"/applications/{application.id}")
    check_page(page)
    page.locator("#mobility-agreement a").click()
    check_page(page)
    page.locator("#edit-agreement").click()
    check_page(page)
    page.fill("#first_day", "2027-03-01")
    page.fill("#last_day", "2027-03-12")
    page.fill("#days", "10")
    page.fill("#teaching_hours", "12")  # 10 days need 16 hours: refused next to the field
    page.fill("#language", "English")
    page.fill("#objectives", "Мубодилаи усулҳои тадрис.")
    page.fill("#activities", "Лексияҳо ва семинар.")
    page.fill("#expected_outcomes", "Барномаи муштараки курс.")
    page.locator("#save-agreement").click()
    # The refused form is answered with 400, which the browser logs; nothing else may be logged.
    page.wait_for_load_state("load")
    assert page.problems.console and all("status of 400" in line for line in page.problems.console)
    page.problems.console.clear()
    check_page(page)
    assert page.locator("#teaching_hours.is-invalid").count() == 1
    page.fill("#teaching_hours", "16")
    page.locator("#save-agreement").click()
    check_page(page)
    page.locator("#submit-agreement").click()
    check_page(page)
    assert page.locator("#agreement-state").get_attribute("data-state") == "submitted"

    staff = open_page(PHONE, "tg")
    log_in(staff, coordinator, PASSWORD)
    staff.goto(f"/applications/{application.id}/mobility-agreement")
    check_page(staff)
    staff.locator("#decision button[value=approve]").click()
    check_page(staff)
    assert staff.locator("#agreement-state").get_attribute("data-state") == "approved"
