"""Changes during the stay on a 360 px phone in Tajik: the participant asks for an
interruption for force majeure (a wrong date is shown next to its field first), the
coordinator approves it. Every page passes check_page (no sideways scrolling, no console
error, no serious axe finding)."""

from datetime import timedelta

from irflow.extensions import db
from irflow.models import StayChange

from .fixtures.browser import PHONE, check_page, log_in
from .fixtures.factories import PASSWORD, UserFactory, application_in


def test_an_interruption_asked_and_approved_on_a_phone_in_tajik(open_page):
    applicant = UserFactory(locale="tg", full_name_native="Раҳимова Дилноза")
    application = application_in("abroad", applicant=applicant)
    coordinator = UserFactory(locale="tg", coordinates=[application.faculty])
    start = application.actual_departure + timedelta(days=10)

    page = open_page(PHONE, "tg")
    log_in(page, applicant, PASSWORD)
    page.goto(f"/applications/{application.id}")
    check_page(page)
    page.click("#stay-change-new-link")
    check_page(page)

    page.check("#kind-2")
    page.fill("#interruption_from", (start + timedelta(days=5)).isoformat())
    page.fill("#interruption_to", start.isoformat())
    page.check("#force_majeure")
    page.fill("#force_majeure_explanation", "Заминларза.")
    page.fill("#reason", "Донишгоҳ баста шуд.")
    page.click("#stay-change-form button[type=submit]")
    page.wait_for_load_state("load")
    # The refused form answers 400 on purpose; the browser logs that status as an error.
    page.problems.console = [problem for problem in page.problems.console if "status of 400" not in problem]
    check_page(page)
    assert page.locator("#error-summary-title").is_visible()
    assert page.locator("#interruption_to.is-invalid").count() == 1
    db.session.expire_all()
    assert db.session.query(StayChange).count() == 0

    page.fill("#interruption_from", start.isoformat())
    page.fill("#interruption_to", (start + timedelta(days=6)).isoformat())
    page.click("#stay-change-form button[type=submit]")
    check_page(page)
    db.session.expire_all()
    requested = db.session.query(StayChange).one()
    assert (requested.kind, requested.force_majeure, requested.state) == ("interruption", True, "requested")

    page = open_page(PHONE, "tg")
    log_in(page, coordinator, PASSWORD)
    page.goto(f"/applications/{application.id}")
    check_page(page)
    page.click("#stay-changes-link")
    check_page(page)
    page.fill(f"#comment-{requested.id}", "Розӣ.")
    page.click(f"#stay-change-{requested.id} button[value=approve]")
    check_page(page)
    assert page.locator("#interrupted-days").is_visible()
    db.session.expire_all()
    assert db.session.get(StayChange, requested.id).state == "approved"
