"""The participant data page on a 360 px phone in Tajik: the participant fills it in, a wrong
value is shown next to its field and summed up at the top, and the saved data come back.
Every page passes check_page (no sideways scrolling, no console error, no serious axe finding)."""

from irflow.extensions import db
from irflow.models import ParticipantData

from .fixtures.browser import PHONE, check_page, log_in
from .fixtures.factories import PASSWORD, UserFactory, application_in


def test_the_participant_fills_in_the_data_on_a_phone_in_tajik(open_page):
    applicant = UserFactory(locale="tg", full_name_native="Раҳимова Дилноза")
    application = application_in("confirmed", applicant=applicant)

    page = open_page(PHONE, "tg")
    log_in(page, applicant, PASSWORD)
    page.goto(f"/applications/{application.id}")
    check_page(page)
    page.click("#participant-data-link")
    check_page(page)

    page.fill("#birth_date", "2003-05-17")
    page.select_option("#gender", "female")
    page.select_option("#nationality", "TJ")
    page.select_option("#isced_code", "0613")
    page.select_option("#study_cycle", "bachelor")
    page.fill("#previous_mobility_months", "40")
    page.select_option("#fewer_opportunities", "no")
    page.select_option("#special_needs", "no")
    page.click("#participant-data-form button[type=submit]")
    page.wait_for_load_state("load")
    # The refused form answers 400 on purpose; the browser logs that status as an error.
    page.problems.console = [problem for problem in page.problems.console if "status of 400" not in problem]
    check_page(page)
    assert page.locator("#error-summary-title").is_visible()
    assert page.locator("#previous_mobility_months.is-invalid").count() == 1
    db.session.expire_all()
    assert db.session.query(ParticipantData).count() == 0

    page.fill("#previous_mobility_months", "4,5")
    page.click("#participant-data-form button[type=submit]")
    check_page(page)
    assert page.locator("#isced_code").input_value() == "0613"
    db.session.expire_all()
    saved = db.session.query(ParticipantData).one()
    assert (saved.nationality, str(saved.previous_mobility_months)) == ("TJ", "4.5")
