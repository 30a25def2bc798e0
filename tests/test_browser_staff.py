"""The staff's part of a call in a real browser, at desk size in Russian and on a phone in
Tajik: the coordinator
screens the applications, the examiner enters the scores, the head confirms the selection
and prints the protocol. Every page on the way passes the checks of check_page."""

from datetime import timedelta

import pytest

from irflow.extensions import db
from irflow.models import Application
from irflow.models.base import utcnow

from .fixtures.browser import DESK, PHONE, check_page, log_in
from .fixtures.factories import PASSWORD, CallFactory, FacultyFactory, UserFactory, application_in


@pytest.mark.parametrize(("viewport", "locale"), [(DESK, "ru"), (PHONE, "tg")], ids=["desk-ru", "phone-tg"])
def test_coordinator_examiner_and_head_take_a_call_to_its_protocol(open_page, viewport, locale):
    faculty = FacultyFactory()
    coordinator = UserFactory(coordinates=[faculty], locale=locale)
    examiner = UserFactory(roles=["examiner"], locale=locale)
    head = UserFactory(roles=["head", "admin"], locale=locale)
    call = CallFactory(examiners=[examiner])
    applicants = [UserFactory(faculty=faculty) for _ in range(3)]
    applications = [application_in("submitted", call=call, applicant=user) for user in applicants]

    page = open_page(viewport, locale)
    log_in(page, coordinator, PASSWORD)
    page.goto("/review/")
    check_page(page)
    for application in applications:
        page.goto(f"/applications/{application.id}")
        check_page(page)
        page.locator("form[action$='/fire/approve_eligibility'] button[type=submit]").click()
        page.wait_for_load_state("load")
        check_page(page)
    assert states(applications) == {"eligible"}

    page = open_page(viewport, locale)
    log_in(page, examiner, PASSWORD)
    page.goto(f"/calls/{call.id}/scores")
    check_page(page)
    for number, field in enumerate(page.locator("#score-sheet input[type=number]").all()):
        field.fill(str(60 + 5 * number))
    page.locator("#score-sheet button[type=submit]").click()
    page.wait_for_load_state("load")
    check_page(page)
    assert states(applications) == {"tested"}

    call.closes_at = utcnow() - timedelta(hours=1)  # the call has closed since
    db.session.commit()

    page = open_page(viewport, locale)
    log_in(page, head, PASSWORD)
    page.goto(f"/calls/{call.id}/selection")
    check_page(page)
    page.locator(f"form[action$='/calls/{call.id}/selection'] button[type=submit]").click()
    page.wait_for_load_state("load")
    check_page(page)
    assert states(applications) <= {"selected", "waitlisted", "not_selected"}
    assert "selected" in states(applications)
    page.goto(f"/calls/{call.id}/selection/protocol")
    check_page(page)
    assert page.locator("main h1").inner_text()

    # The department's other pages, with this call's data in them.
    for path in [
        "/dashboard/",
        "/scores/",
        "/nominations",
        "/manage/",
        "/manage/calls",
        f"/manage/calls/{call.id}/edit",
        "/manage/programs",
        "/manage/partners",
        f"/manage/exports/beneficiary-module?call={call.id}",
        "/manage/exports/beneficiary-module?year=2026-2027",
        "/admin/users",
        "/admin/events",
        f"/admin/users/{coordinator.id}",
    ]:
        response = page.goto(path)
        assert response.ok, f"{path}: {response.status}"
        check_page(page)


def states(applications):
    db.session.expire_all()
    return {db.session.get(Application, application.id).state for application in applications}
