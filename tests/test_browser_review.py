"""The review queue in a real browser, at desk size in Russian and on a phone in Tajik: a
coordinator ticks rows and approves them at once, reads the results, then opens an
application by its name and goes on with "then next". Every page passes check_page."""

import pytest

from irflow.extensions import db
from irflow.models import Application

from .fixtures.browser import DESK, PHONE, check_page, log_in
from .fixtures.factories import PASSWORD, CallFactory, FacultyFactory, UserFactory, application_in


def states(applications):
    db.session.expire_all()
    return [db.session.get(Application, application.id).state for application in applications]


@pytest.mark.parametrize(("viewport", "locale"), [(PHONE, "tg"), (DESK, "ru")], ids=["phone-tg", "desk-ru"])
def test_coordinator_approves_ticked_rows_and_goes_through_the_rest(open_page, viewport, locale):
    faculty = FacultyFactory()
    coordinator = UserFactory(coordinates=[faculty], locale=locale)
    call = CallFactory()
    applications = [
        application_in("submitted", call=call, applicant=UserFactory(faculty=faculty, full_name_latin=f"APPLICANT {n}"))
        for n in range(4)
    ]
    # Changed meanwhile: its row is refused, the others are done.
    page = open_page(viewport, locale)
    log_in(page, coordinator, PASSWORD)
    page.goto("/review/?state=submitted")
    check_page(page)
    for application in applications[:3]:
        page.locator(f"#row-{application.id}").check()
    applications[2].motivation = "Edited meanwhile."
    db.session.commit()
    page.locator("#bulk-actions button[value=approve_eligibility]").click()
    page.wait_for_load_state("load")
    check_page(page)
    assert page.locator("#bulk-results li[data-done=yes]").count() == 2
    assert page.locator("#bulk-results li[data-done=no]").count() == 1
    assert states(applications) == ["eligible", "eligible", "submitted", "submitted"]

    # By the name to the application, then approve and on to the next of the filtered queue.
    page.goto("/review/?state=submitted")
    page.locator(f"tr[data-application='{applications[2].id}'] a").first.click()
    page.wait_for_load_state("load")
    check_page(page)
    page.locator("#action-approve_eligibility-and-next").click()
    page.wait_for_load_state("load")
    check_page(page)
    assert page.url.split("?")[0].endswith(f"/applications/{applications[3].id}")
    page.locator("#back-to-queue").click()
    page.wait_for_load_state("load")
    check_page(page)
    assert "state=submitted" in page.url
    assert states(applications) == ["eligible", "eligible", "eligible", "submitted"]
