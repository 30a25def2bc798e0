"""A change to the learning agreement on a 360 px phone in Tajik: the participant abroad
removes the course and adds another, a missing reason refused next to the field; the
coordinator approves it and the page shows the version before, the change and the final
version. Every page passes check_page (no sideways scrolling, no console error, no serious
axe finding)."""

from irflow.extensions import db

from .fixtures.browser import PHONE, check_page, log_in
from .fixtures.factories import PASSWORD, UserFactory, add_approved_learning_agreement, application_in


def test_a_learning_agreement_change_on_a_phone_in_tajik(open_page):
    applicant = UserFactory(locale="tg")
    application = application_in("abroad", applicant=applicant)
    add_approved_learning_agreement(application)
    db.session.commit()
    coordinator = UserFactory(coordinates=[application.faculty], locale="tg")

    page = open_page(PHONE, "tg")
    log_in(page, applicant, PASSWORD)
    page.goto(f"/applications/{application.id}/learning-agreement")
    check_page(page)
    page.locator("#propose-change").click()
    check_page(page)
    page.select_option("#removed-0-remove", "y")
    page.select_option("#removed-0-reason", "cancelled")
    page.fill("#host-0-title", "Шабакаҳои компютерӣ")
    page.fill("#host-0-ects", "25")  # no reason: refused next to the field
    page.locator("#submit-change").click()
    page.wait_for_load_state("load")
    assert page.problems.console and all("status of 400" in line for line in page.problems.console)
    page.problems.console.clear()
    check_page(page)
    assert page.locator("#host-0-reason.is-invalid").count() == 1
    page.select_option("#host-0-reason", "timetable")
    page.locator("#submit-change").click()
    check_page(page)

    staff = open_page(PHONE, "tg")
    log_in(staff, coordinator, PASSWORD)
    staff.goto(f"/applications/{application.id}/learning-agreement")
    check_page(staff)
    staff.locator("#change-decision button[value=approve]").click()
    check_page(staff)
    assert staff.locator("#final-version").count() == 1
    assert staff.locator("[data-total=host]").inner_text().startswith("25")
