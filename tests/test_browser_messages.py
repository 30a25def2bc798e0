"""Group messages and the notice texts in a real browser: the head writes to a call's waiting
list (compose, preview, send) and rewrites a notice (list, form, preview), on a 360 px phone
in Tajik and at desk size in Russian. Every page on the way passes check_page."""

import pytest

from .fixtures.browser import DESK, PHONE, check_page, log_in
from .fixtures.factories import PASSWORD, CallFactory, UserFactory, application_in
from .fixtures.messages import group_copies


@pytest.mark.parametrize(("viewport", "locale"), [(PHONE, "tg"), (DESK, "ru")], ids=["phone-tg", "desk-ru"])
def test_the_head_writes_to_a_waiting_list_and_rewrites_a_notice(open_page, viewport, locale):
    head = UserFactory(roles=["head"], locale=locale)
    call = CallFactory()
    waiting = [application_in("waitlisted", call=call) for _ in range(3)]

    page = open_page(viewport, locale)
    log_in(page, head, PASSWORD)
    page.goto("/messages/")
    check_page(page)
    page.goto("/messages/new")
    check_page(page)
    page.locator("#group").select_option("waitlisted")
    page.locator("#call").select_option(str(call.id))
    page.locator("#subject").fill("Санаи нав")
    page.locator("#body").fill("Салом, {name}!\nМулоқот рӯзи ҷумъа.")
    page.locator("main button[name=step]").click()
    page.wait_for_load_state("load")
    check_page(page)
    assert page.locator("#recipient-names li").count() == 3
    page.locator("main form[action$='/messages/send'] button[type=submit]").click()
    page.wait_for_load_state("load")
    check_page(page)
    copies = group_copies()
    assert {copy.application_id for copy in copies} == {application.id for application in waiting}
    assert all(copy.body.endswith("!\nМулоқот рӯзи ҷумъа.") for copy in copies)  # the line break kept

    page.goto("/messages/notices")
    check_page(page)
    page.goto("/messages/notices/select/tg")
    check_page(page)
    page.locator("main button[value=preview]").click()
    page.wait_for_load_state("load")
    check_page(page)
    assert "Малика Раҳимова" in page.locator("#notice-preview").inner_text()
