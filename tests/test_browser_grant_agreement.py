"""The grant agreement on a 360 px phone in Tajik: the participant chooses green travel,
the coordinator sets the travel days and issues the agreement, the participant opens the
printable agreement and uploads the signed copy."""

from irflow.extensions import db
from irflow.grants import operations

from .fixtures.browser import PHONE, check_page, log_in
from .fixtures.factories import PASSWORD, UserFactory
from .fixtures.files import PDF
from .fixtures.grants import participant_in_berlin


def test_the_grant_agreement_on_a_phone_in_tajik(open_page, tmp_path):
    applicant = UserFactory(locale="tg", full_name_native="Раҳимова Дилноза")
    application = participant_in_berlin("host_accepted", applicant=applicant)
    coordinator = UserFactory(locale="tg", coordinates=[application.faculty])
    signed = tmp_path / "shartnoma.pdf"
    signed.write_bytes(PDF)

    page = open_page(PHONE, "tg")
    log_in(page, applicant, PASSWORD)
    page.goto(f"/applications/{application.id}/grant")
    check_page(page)
    page.check("#green_travel-0")
    page.click("#travel-form button[type=submit]")
    check_page(page)
    assert page.locator("#green-travel-choice").inner_text() == "Ҳа"

    page = open_page(PHONE, "tg")
    log_in(page, coordinator, PASSWORD)
    page.goto(f"/applications/{application.id}/grant")
    page.fill("#travel_days", "9")
    page.click("#travel-days-form button[type=submit]")
    page.wait_for_load_state("load")
    page.problems.console = [problem for problem in page.problems.console if "status of 400" not in problem]
    check_page(page)
    assert page.locator(".invalid-feedback").first.is_visible()
    page.fill("#travel_days", "4")
    page.click("#travel-days-form button[type=submit]")
    check_page(page)
    page.click("#issue-form button[type=submit]")
    check_page(page)
    assert page.locator('#agreement[data-state="to_sign"]').count() == 1

    page = open_page(PHONE, "tg")
    log_in(page, applicant, PASSWORD)
    page.goto(f"/applications/{application.id}/grant")
    page.click("#agreement-document-link")
    check_page(page)
    assert "Шартномаи грантӣ" in page.locator("h1").inner_text()
    page.goto(f"/applications/{application.id}")
    page.select_option("#kind", "grant_agreement")
    page.set_input_files("#file", str(signed))
    page.click("#upload button[type=submit]")
    check_page(page)
    assert page.locator('#grant-agreement-state[data-state="signed"]').count() == 1
    db.session.expire_all()
    assert operations.agreement_of(application).travel_days == 4
