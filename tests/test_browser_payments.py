"""The head's list of payments on a 360 px phone in Tajik: the overdue first instalment,
a payment refused for a date in the future, then recorded, corrected and undone."""

from datetime import date

from irflow.extensions import db
from irflow.models import GrantPayment

from .fixtures.browser import PHONE, check_page, log_in
from .fixtures.factories import PASSWORD, UserFactory
from .fixtures.payments import participant_with_grant


def test_the_payments_list_on_a_phone_in_tajik(open_page):
    application = participant_with_grant("host_accepted")
    first = db.session.scalars(db.select(GrantPayment).filter_by(application_id=application.id, instalment=1)).one()
    head = UserFactory(roles=["head"], locale="tg")
    db.session.commit()

    page = open_page(PHONE, "tg")
    log_in(page, head, PASSWORD)
    page.goto("/payments")
    check_page(page)
    row = page.locator(f"#payment-{first.id}")
    assert row.get_attribute("data-state") == "overdue"

    actions = page.locator(f"#payment-{first.id}-actions")
    actions.locator("summary").click()
    page.fill(f"#p{first.id}-paid_on", "2099-01-01")
    page.fill(f"#p{first.id}-reference", "TR-2026-001")
    actions.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    page.problems.console = [problem for problem in page.problems.console if "status of 400" not in problem]
    check_page(page)
    assert page.locator(f"#p{first.id}-paid_on-error-1").is_visible()

    page.fill(f"#p{first.id}-paid_on", "2026-02-12")
    page.locator(f"#payment-{first.id}-actions button[type=submit]").click()
    page.wait_for_load_state("load")
    page.goto("/payments?state=paid")
    check_page(page)
    db.session.expire_all()
    assert db.session.get(GrantPayment, first.id).paid_on == date(2026, 2, 12)

    page.locator(f"#payment-{first.id}-actions summary").click()
    page.locator(f"#payment-{first.id}-actions a.link-danger").click()
    check_page(page)
    page.click("button.btn-danger")
    check_page(page)
    db.session.expire_all()
    assert db.session.get(GrantPayment, first.id).paid_on is None
