"""The selection page and the score sheet in a real browser, filtered, on a desk in Russian
and on a phone in Tajik: the checks of check_page, and a confirmation that posts only the
row the head changed."""

from urllib.parse import parse_qs

import pytest

from irflow.extensions import db
from irflow.models import Application

from .fixtures.browser import DESK, PHONE, check_page, log_in
from .fixtures.factories import PASSWORD
from .fixtures.scoring import make_applicant

VIEWS = pytest.mark.parametrize(("viewport", "locale"), [(DESK, "ru"), (PHONE, "tg")], ids=["desk-ru", "phone-tg"])


@VIEWS
def test_the_head_filters_the_ranking_and_confirms_posting_only_the_row_changed(
    open_page, viewport, locale, selection_head, selection
):
    call, people = selection
    a, b, c = call.places
    selection_head.locale = locale
    db.session.commit()
    page = open_page(viewport, locale)
    log_in(page, selection_head, PASSWORD)

    page.goto(f"/calls/{call.id}/selection?host={a.id}")
    check_page(page)
    assert page.locator("#ranking tbody tr").count() == 4  # ann, ben, dan, eve
    page.goto(f"/calls/{call.id}/selection")
    check_page(page)
    page.locator(f"select[name='place-{people['ben'].id}']").select_option(str(c.id))
    with page.expect_request(lambda request: request.method == "POST") as posted:
        page.locator("#confirm button[type=submit]").click()
    page.wait_for_load_state("load")
    check_page(page)

    fields = parse_qs(posted.value.post_data)
    assert set(fields) == {"csrf_token", "fingerprint", f"result-{people['ben'].id}", f"place-{people['ben'].id}"}
    db.session.expire_all()
    decided = {name: db.session.get(Application, application.id) for name, application in people.items()}
    assert {name: application.state for name, application in decided.items()} == {
        "ann": "selected",
        "ben": "selected",
        "cid": "selected",
        "dan": "waitlisted",
        "eve": "not_selected",
    }
    assert [decided[name].allocated_place_id for name in ("ann", "ben", "cid")] == [a.id, c.id, b.id]


@VIEWS
def test_the_examiner_filters_the_score_sheet(open_page, viewport, locale, scoring_world):
    call, examiner = scoring_world["call"], scoring_world["examiner"]
    examiner.locale = locale
    make_applicant(call, "BOBOEV DAVRON", state="tested")
    db.session.commit()
    page = open_page(viewport, locale)
    log_in(page, examiner, PASSWORD)

    page.goto(f"/calls/{call.id}/scores")
    check_page(page)
    page.locator("#filter-todo").check()
    page.locator("#sheet-filters button[type=submit]").click()
    page.wait_for_load_state("load")
    check_page(page)
    assert "todo=1" in page.url
    assert page.locator("#sheet tbody tr").count() == 3
