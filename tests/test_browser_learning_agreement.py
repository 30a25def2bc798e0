"""The learning agreement on a 360 px phone in Tajik: the participant writes it, with an
error next to a course row, and submits it; the coordinator's page with the decision. Every
page passes check_page (no sideways scrolling, no console error, no serious axe finding)."""

import sqlalchemy as sa

from irflow.extensions import db
from irflow.models import Document, LearningAgreement

from .fixtures.browser import PHONE, check_page, log_in
from .fixtures.factories import PASSWORD, UserFactory, application_in


def test_the_learning_agreement_on_a_phone_in_tajik(open_page):
    applicant = UserFactory(locale="tg")
    application = application_in("host_accepted", applicant=applicant)
    db.session.execute(sa.delete(LearningAgreement).where(LearningAgreement.application_id == application.id))
    db.session.execute(sa.delete(Document).where(Document.kind == "learning_agreement"))
    db.session.commit()
    coordinator = UserFactory(coordinates=[application.faculty], locale="tg")

    page = open_page(PHONE, "tg")
    log_in(page, applicant, PASSWORD)
    page.goto(f"/applications/{application.id}")
    check_page(page)
    page.locator("#learning-agreement a").click()
    check_page(page)
    page.locator("#edit-agreement").click()
    check_page(page)
    page.fill("#language_of_instruction", "English")
    page.fill("#host-0-code", "CS101")
    page.fill("#host-0-ects", "25")  # no title: refused next to the field
    page.fill("#home-0-title", "Алгоритмҳо")
    page.fill("#home-0-ects", "25")
    page.locator("#save-agreement").click()
    # The refused form is answered with 400, which the browser logs; nothing else may be logged.
    page.wait_for_load_state("load")
    assert page.problems.console and all("status of 400" in line for line in page.problems.console)
    page.problems.console.clear()
    check_page(page)
    assert page.locator("#host-0-title.is-invalid").count() == 1
    page.fill("#host-0-title", "Algorithms and data structures")
    page.locator("#save-agreement").click()
    check_page(page)
    page.locator("#submit-agreement").click()
    check_page(page)
    assert page.locator("#agreement-state").get_attribute("data-state") == "submitted"

    staff = open_page(PHONE, "tg")
    log_in(staff, coordinator, PASSWORD)
    staff.goto(f"/applications/{application.id}/learning-agreement")
    check_page(staff)
    staff.locator("#decision button[value=approve]").click()
    check_page(staff)
    assert staff.locator("#agreement-state").get_attribute("data-state") == "approved"
