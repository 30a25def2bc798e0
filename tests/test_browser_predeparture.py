"""The pre-departure checklist on a 360 px phone in Tajik: the participant uploads the
insurance policy, is refused for dates that do not cover the stay and marks it done; the
coordinator says the visa is not needed, opens the overview and sees both changes in the
application's history."""

from irflow.extensions import db
from irflow.models import PredepartureItem

from .fixtures.browser import PHONE, check_page, log_in
from .fixtures.factories import PASSWORD, UserFactory, application_in
from .fixtures.files import PDF


def test_the_checklist_on_a_phone_in_tajik(open_page, tmp_path):
    applicant = UserFactory(locale="tg", full_name_native="Раҳимова Дилноза")
    application = application_in("host_accepted", applicant=applicant)
    coordinator = UserFactory(locale="tg", coordinates=[application.faculty])
    policy_file = tmp_path / "polis.pdf"
    policy_file.write_bytes(PDF)

    page = open_page(PHONE, "tg")
    log_in(page, applicant, PASSWORD)
    page.goto(f"/applications/{application.id}")
    check_page(page)
    assert page.locator("#predeparture-warning").is_visible()
    page.select_option("#kind", "insurance_policy")
    page.set_input_files("#file", str(policy_file))
    page.click("#upload button[type=submit]")
    check_page(page)
    page.click("#predeparture-link")
    check_page(page)

    page.fill("#insurance-covered_from", "2027-02-01")
    page.fill("#insurance-covered_to", "2027-05-31")
    page.click("#done-insurance button[type=submit]")
    page.wait_for_load_state("load")
    page.problems.console = [problem for problem in page.problems.console if "status of 400" not in problem]
    check_page(page)
    assert page.locator("#insurance-covered_to-error").is_visible()
    page.fill("#insurance-covered_to", "2027-06-30")
    page.click("#done-insurance button[type=submit]")
    check_page(page)
    assert page.locator('#item-insurance[data-state="done"]').count() == 1

    page = open_page(PHONE, "tg")
    log_in(page, coordinator, PASSWORD)
    page.goto(f"/applications/{application.id}/checklist")
    check_page(page)
    page.click("#not-needed-toggle-visa")
    page.fill("#visa-reason", "Бе раводид.")
    page.click("#not-needed-visa button[type=submit]")
    check_page(page)
    db.session.expire_all()
    assert db.session.query(PredepartureItem).filter_by(item="visa").one().state == "not_needed"
    page.goto("/checklists")
    check_page(page)
    assert page.locator(f"#row-{application.id}").is_visible()

    # Both changes are in the application's history, in Tajik.
    page.goto(f"/applications/{application.id}")
    check_page(page)
    history = page.locator("#timeline .checklist-change-entry")
    assert history.count() == 2
    assert "лозим нест" in history.nth(1).inner_text()
