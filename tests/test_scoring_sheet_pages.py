"""The score sheet in pages and filtered, over HTTP: each page posts and saves its own rows
(with their versions), and a save returns to the same view of the sheet."""

import pytest

from irflow.extensions import db
from irflow.scoring import sheet as sheet_module

from .fixtures.scoring import form_fields, make_applicant, reload, score, sheet_url, stored_scores
from .fixtures.web import text_of


@pytest.fixture
def two_a_page(monkeypatch):
    monkeypatch.setattr(sheet_module, "PAGE_SIZE", 2)


def rows_on(page_text, rows):
    return {name for name, application in rows.items() if f'data-application="{application.id}"' in page_text}


def page_form(client, url):
    response = client.get(url)
    assert response.status_code == 200
    fields, _names = form_fields(response.get_data(as_text=True), "score-sheet")
    return fields


def test_the_sheet_comes_in_pages_and_each_page_saves_its_own_rows(client, login_as, scoring_world, two_a_page):
    call, examiner, rows = scoring_world["call"], scoring_world["examiner"], scoring_world["rows"]
    language, interview = scoring_world["language"], scoring_world["interview"]
    login_as(examiner)

    first = text_of(client.get(sheet_url(call)))
    assert rows_on(first, rows) == {"aliev", "karimov"}  # by name
    assert f'href="{sheet_url(call)}?page=2"' in first
    assert "3 applicants on this view of the sheet." in first
    second_url = f"{sheet_url(call)}?page=2"
    assert rows_on(text_of(client.get(second_url)), rows) == {"saidova"}
    assert rows_on(text_of(client.get(f"{sheet_url(call)}?page=7")), rows) == {"saidova"}  # past the end: the last

    fields = page_form(client, second_url)
    saidova = rows["saidova"]
    assert {name for name in fields if name.startswith("version-")} == {f"version-{saidova.id}"}
    fields.update({f"score-{saidova.id}-{language.id}": "70", f"score-{saidova.id}-{interview.id}": "80"})
    response = client.post(second_url, data=fields)

    assert response.status_code == 302 and response.headers["Location"].endswith(second_url)
    assert reload(saidova).state == "tested"
    assert {name: reload(application).state for name, application in rows.items()} == {
        "karimov": "eligible",
        "aliev": "eligible",
        "saidova": "tested",
    }


def test_a_page_saved_over_a_row_changed_meanwhile_is_refused_and_shows_its_rows(
    client, login_as, scoring_world, two_a_page
):
    call, examiner, rows = scoring_world["call"], scoring_world["examiner"], scoring_world["rows"]
    language = scoring_world["language"]
    login_as(examiner)
    fields = page_form(client, sheet_url(call))
    aliev = rows["aliev"]
    fields[f"score-{aliev.id}-{language.id}"] = "55"
    # Scored by someone else meanwhile: the score and the application's version move.
    score(aliev, language, 40, examiner)
    reload(aliev).motivation = "changed meanwhile"
    db.session.commit()

    response = client.post(f"{sheet_url(call)}?faculty=", data=fields)

    assert response.status_code == 409
    page = text_of(response)
    assert rows_on(page, rows) == {"aliev", "karimov"}  # the rows posted, shown again
    assert "changed by someone else" in page
    assert stored_scores(aliev)[language.id][0] == 40


def test_the_sheet_filters_by_faculty_state_and_rows_still_to_score(client, login_as, scoring_world):
    call, examiner, rows = scoring_world["call"], scoring_world["examiner"], scoring_world["rows"]
    language = scoring_world["language"]
    rows = {**rows, "boboev": make_applicant(call, "BOBOEV DAVRON", state="tested")}
    score(rows["aliev"], language, 50, examiner)  # partly scored: still to score
    db.session.commit()
    login_as(examiner)

    def shown(query):
        return rows_on(text_of(client.get(f"{sheet_url(call)}{query}")), rows)

    assert shown("") == set(rows)
    assert shown("?state=tested") == {"boboev"}
    assert shown("?state=eligible") == {"aliev", "karimov", "saidova"}
    assert shown("?todo=1") == {"aliev", "karimov", "saidova"}
    assert shown(f"?faculty={rows['karimov'].faculty_id}") == {"karimov"}
    assert shown(f"?faculty={rows['karimov'].faculty_id}&state=tested") == set()
    assert "No applicant matches these filters." in text_of(client.get(f"{sheet_url(call)}?state=tested&todo=1"))
    assert shown("?state=withdrawn&faculty=abc&page=x") == set(rows)  # unknown values are no filter
