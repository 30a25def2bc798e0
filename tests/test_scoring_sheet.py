"""The examiner's score sheet: GET/POST /calls/<id>/scores."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from irflow.extensions import db
from irflow.models import Application
from irflow.models.base import utcnow
from irflow.workflow import WorkflowError, fire

from .fixtures.factories import ApplicationFactory, CallFactory, UserFactory, one_commit
from .fixtures.logins import login_token
from .fixtures.querycount import counting_statements
from .fixtures.scoring import (
    CHANGED,
    form_fields,
    log_of,
    make_applicant,
    make_tested,
    reload,
    score,
    sheet_form,
    sheet_url,
    stored_scores,
)


def cell(application, criterion):
    return f"score-{application.id}-{criterion.id}"


def absent(application):
    return f"absent-{application.id}"


# --- who may see and save ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "get_status", "post_status"),
    [
        ("examiner", 200, 302),
        ("other_examiner", 403, 403),
        ("head", 200, 403),
        ("admin", 200, 403),
        ("applicant", 403, 403),
        ("coordinator", 403, 403),
        ("examiner_role_only_assigned_elsewhere", 403, 403),
    ],
)
def test_role_matrix(client, login_as, scoring_world, who, get_status, post_status):
    call = scoring_world["call"]
    people = {
        "examiner": lambda: scoring_world["examiner"],
        "other_examiner": lambda: scoring_world["other_examiner"],
        "head": lambda: UserFactory(roles=["head"]),
        "admin": lambda: UserFactory(roles=["admin"]),
        "applicant": lambda: scoring_world["rows"]["aliev"].applicant,
        "coordinator": lambda: UserFactory(coordinates=[scoring_world["rows"]["aliev"].faculty]),
        "examiner_role_only_assigned_elsewhere": lambda: UserFactory(roles=["examiner", "coordinator"]),
    }
    user = people[who]()
    login_as(user)
    response = client.get(sheet_url(call))
    assert response.status_code == get_status
    page = response.get_data(as_text=True)
    if get_status == 200:
        assert page.count('data-application="') == 3
        editable = who == "examiner"
        assert ('id="score-sheet"' in page) is editable
        assert (f'name="{cell(scoring_world["rows"]["aliev"], scoring_world["language"])}"' in page) is editable
    token = client.csrf_token("/")
    target = scoring_world["rows"]["aliev"]
    response = client.post(
        sheet_url(call),
        data={
            "csrf_token": token,
            f"version-{target.id}": target.version,
            cell(target, scoring_world["language"]): "70",
            cell(target, scoring_world["interview"]): "80",
        },
    )
    assert response.status_code == post_status
    assert reload(target).state == ("tested" if post_status == 302 else "eligible")


def test_anonymous_is_sent_to_log_in(client, scoring_world):
    response = client.get(sheet_url(scoring_world["call"]))
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_a_post_without_the_csrf_token_is_refused(client, login_as, scoring_world):
    call, language, interview = scoring_world["call"], scoring_world["language"], scoring_world["interview"]
    aliev = scoring_world["rows"]["aliev"]
    login_as(scoring_world["examiner"])
    fields = sheet_form(client, call)
    fields.update({cell(aliev, language): "60", cell(aliev, interview): "60"})
    del fields["csrf_token"]
    assert post_sheet(client, call, fields).status_code == 400
    assert reload(aliev).state == "eligible" and stored_scores(aliev) == {}
    client.post("/auth/logout", data={"csrf_token": client.csrf_token("/")})
    response = post_sheet(client, call, dict(fields, csrf_token=client.csrf_token("/")))
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_unknown_call_is_404(client, login_as, scoring_world):
    login_as(scoring_world["examiner"])
    assert client.get("/calls/999999/scores").status_code == 404


def test_rows_are_eligible_and_tested_by_latin_name(client, login_as, scoring_world):
    call, examiner = scoring_world["call"], scoring_world["examiner"]
    with one_commit():
        tested = make_tested(call, "BOBOEV DAVRON", examiner, {"Language test": 60, "Interview": 70})
        submitted = make_applicant(call, "ABDULLOEV SUHROB", state="submitted")
        withdrawn = make_applicant(call, "AZIZOV JAMSHED", state="withdrawn")
    login_as(examiner)
    page = client.get(sheet_url(call)).get_data(as_text=True)
    order = [scoring_world["rows"]["aliev"], tested, scoring_world["rows"]["karimov"], scoring_world["rows"]["saidova"]]
    positions = [page.index(f'data-application="{application.id}"') for application in order]
    assert positions == sorted(positions)
    assert f'data-application="{submitted.id}"' not in page
    assert f'data-application="{withdrawn.id}"' not in page
    # Columns: the Latin and native names, the faculty, the test criteria, the tested total.
    assert "Номи ALIEV BAHROM" in page and scoring_world["rows"]["aliev"].faculty.name in page
    assert "Language test" in page and "Interview" in page and "Average grade" not in page
    # (2·60 + 70 + 90) / 4
    assert row_html(page, tested).count(">70</td>") == 1


def row_html(page, application):
    start = page.index(f'data-application="{application.id}"')
    return page[start : page.index("</tr>", start)]


# --- saving ------------------------------------------------------------------------------


def post_sheet(client, call, fields):
    return client.post(sheet_url(call), data=fields)


def test_a_fully_scored_row_fires_record_score(client, login_as, scoring_world):
    call, examiner, language, interview = (
        scoring_world["call"],
        scoring_world["examiner"],
        scoring_world["language"],
        scoring_world["interview"],
    )
    karimov = scoring_world["rows"]["karimov"]
    login_as(examiner)
    fields = sheet_form(client, call)
    fields[cell(karimov, language)] = "70"
    fields[cell(karimov, interview)] = "85.5"
    response = post_sheet(client, call, fields)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(sheet_url(call))

    application = reload(karimov)
    assert application.state == "tested"
    # Σ weight·score / Σ weight with the grade 4.50 of 5 normalised to 90: (2·70 + 85.5 + 90) / 4.
    assert application.total_score == Decimal("78.88")
    assert stored_scores(application) == {
        language.id: (Decimal("70.00"), examiner.id),
        interview.id: (Decimal("85.50"), examiner.id),
    }
    (entry,) = log_of(application)
    assert (entry.trigger, entry.from_state, entry.to_state, entry.actor_id) == (
        "record_score",
        "eligible",
        "tested",
        examiner.id,
    )
    # The others were left alone.
    for name in ("aliev", "saidova"):
        assert reload(scoring_world["rows"][name]).state == "eligible"
        assert stored_scores(scoring_world["rows"][name]) == {}
    page = client.get(sheet_url(call)).get_data(as_text=True)
    assert "Recorded as tested: 1; marked absent: 0; corrected: 0; partly scored: 0." in page
    assert "78.88" in row_html(page, application)


def test_a_partly_scored_row_keeps_its_scores_and_stays_eligible(client, login_as, scoring_world):
    call, examiner, language = scoring_world["call"], scoring_world["examiner"], scoring_world["language"]
    aliev = scoring_world["rows"]["aliev"]
    version = aliev.version
    login_as(examiner)
    fields = sheet_form(client, call)
    fields[cell(aliev, language)] = "64"
    assert post_sheet(client, call, fields).status_code == 302
    application = reload(aliev)
    assert application.state == "eligible"
    assert application.total_score is None
    assert stored_scores(application) == {language.id: (Decimal("64.00"), examiner.id)}
    assert log_of(application) == []
    # The version moved: a sheet opened before cannot overwrite this score unnoticed.
    assert application.version > version
    page = client.get(sheet_url(call)).get_data(as_text=True)
    assert "partly scored: 1." in page
    assert f'name="{cell(aliev, language)}" value="64"' in page

    # Completing the row later records the test.
    fields = sheet_form(client, call)
    fields[cell(aliev, scoring_world["interview"])] = "80"
    assert post_sheet(client, call, fields).status_code == 302
    application = reload(aliev)
    assert application.state == "tested"
    assert application.total_score == Decimal("72.00")  # (2·64 + 80 + 80) / 4


def test_absent_fires_mark_absent(client, login_as, scoring_world):
    call, examiner = scoring_world["call"], scoring_world["examiner"]
    saidova = scoring_world["rows"]["saidova"]
    login_as(examiner)
    fields = sheet_form(client, call)
    fields[absent(saidova)] = "y"
    assert post_sheet(client, call, fields).status_code == 302
    application = reload(saidova)
    assert application.state == "absent"
    (entry,) = log_of(application)
    assert (entry.trigger, entry.actor_id) == ("mark_absent", examiner.id)
    page = client.get(sheet_url(call)).get_data(as_text=True)
    assert "marked absent: 1;" in page
    assert f'data-application="{saidova.id}"' not in page


def test_one_save_records_marks_and_keeps_together(client, login_as, scoring_world):
    call, examiner, language, interview = (
        scoring_world["call"],
        scoring_world["examiner"],
        scoring_world["language"],
        scoring_world["interview"],
    )
    karimov, aliev, saidova = (scoring_world["rows"][name] for name in ("karimov", "aliev", "saidova"))
    login_as(examiner)
    fields = sheet_form(client, call)
    fields.update(
        {
            cell(karimov, language): "90",
            cell(karimov, interview): "90",
            cell(aliev, interview): "55",
            absent(saidova): "y",
        }
    )
    assert post_sheet(client, call, fields).status_code == 302
    assert [reload(application).state for application in (karimov, aliev, saidova)] == ["tested", "eligible", "absent"]
    page = client.get(sheet_url(call)).get_data(as_text=True)
    assert "Recorded as tested: 1; marked absent: 1; corrected: 0; partly scored: 1." in page


def test_saving_an_unchanged_sheet_changes_nothing(client, login_as, scoring_world):
    call = scoring_world["call"]
    login_as(scoring_world["examiner"])
    versions = {name: application.version for name, application in scoring_world["rows"].items()}
    response = post_sheet(client, call, sheet_form(client, call))
    assert response.status_code == 302
    assert "Nothing was changed." in client.get(sheet_url(call)).get_data(as_text=True)
    assert {name: reload(application).version for name, application in scoring_world["rows"].items()} == versions


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "Not a number."),
        ("101", "A score must be from 0 to 100."),
        ("-1", "A score must be from 0 to 100."),
        ("99.999", "Use at most two decimals."),
        ("NaN", "Not a number."),
    ],
)
def test_a_bad_cell_saves_nothing_and_keeps_what_was_typed(client, login_as, scoring_world, typed, message):
    call, language, interview = scoring_world["call"], scoring_world["language"], scoring_world["interview"]
    karimov, aliev, saidova = (scoring_world["rows"][name] for name in ("karimov", "aliev", "saidova"))
    login_as(scoring_world["examiner"])
    fields = sheet_form(client, call)
    fields.update(
        {
            cell(karimov, language): "70",
            cell(karimov, interview): "80",
            cell(aliev, language): typed,
            cell(aliev, interview): "66",
            absent(saidova): "y",
        }
    )
    response = post_sheet(client, call, fields)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was saved" in page
    bad_row = row_html(page, aliev)
    assert f'id="{cell(aliev, language)}-error">{message}<' in bad_row
    assert "is-invalid" in bad_row
    # What was typed is back in the form, the absence too.
    assert f'value="{typed}"' in bad_row and 'value="66"' in bad_row
    assert 'value="70"' in row_html(page, karimov)
    assert "checked" in row_html(page, saidova)
    for application in (karimov, aliev, saidova):
        assert reload(application).state == "eligible"
        assert stored_scores(application) == {}
        assert log_of(application) == []


def test_a_decimal_comma_is_accepted(client, login_as, scoring_world):
    call, language, interview = scoring_world["call"], scoring_world["language"], scoring_world["interview"]
    karimov = scoring_world["rows"]["karimov"]
    login_as(scoring_world["examiner"])
    fields = sheet_form(client, call)
    fields.update({cell(karimov, language): "72,5", cell(karimov, interview): "100"})
    assert post_sheet(client, call, fields).status_code == 302
    assert stored_scores(karimov)[language.id][0] == Decimal("72.50")


def test_absent_and_scored_is_an_error_for_that_row(client, login_as, scoring_world):
    call, language = scoring_world["call"], scoring_world["language"]
    aliev, karimov = scoring_world["rows"]["aliev"], scoring_world["rows"]["karimov"]
    login_as(scoring_world["examiner"])
    fields = sheet_form(client, call)
    fields.update({cell(aliev, language): "50", absent(aliev): "y", absent(karimov): "y"})
    response = post_sheet(client, call, fields)
    assert response.status_code == 400
    assert "An applicant marked absent cannot have scores" in row_html(response.get_data(as_text=True), aliev)
    assert reload(aliev).state == reload(karimov).state == "eligible"
    assert stored_scores(aliev) == {}


def test_a_stale_row_saves_nothing(client, login_as, scoring_world):
    call, examiner, language, interview = (
        scoring_world["call"],
        scoring_world["examiner"],
        scoring_world["language"],
        scoring_world["interview"],
    )
    karimov, aliev = scoring_world["rows"]["karimov"], scoring_world["rows"]["aliev"]
    second = UserFactory(roles=["examiner"])
    call.examiners.append(second)
    db.session.commit()
    login_as(examiner)
    fields = sheet_form(client, call)

    # Meanwhile a second examiner scores Karimov's interview from their own sheet.
    other_client = client.application.test_client()
    with other_client.session_transaction() as session:
        session["_user_id"] = login_token(second)
    theirs = sheet_form(other_client, call)
    theirs[cell(karimov, interview)] = "40"
    assert post_sheet(other_client, call, theirs).status_code == 302

    fields.update(
        {
            cell(karimov, language): "70",
            cell(karimov, interview): "95",
            cell(aliev, language): "60",
            cell(aliev, interview): "60",
        }
    )
    response = post_sheet(client, call, fields)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert CHANGED in page
    karimov_row = row_html(page, karimov)
    assert "table-warning" in karimov_row and "saved: 40" in karimov_row
    assert 'value="95"' in karimov_row and 'value="60"' in row_html(page, aliev)
    assert stored_scores(karimov) == {interview.id: (Decimal("40.00"), second.id)}
    assert reload(aliev).state == "eligible" and stored_scores(aliev) == {}

    # The re-rendered sheet carries the current version: saving it again goes through.
    again, _names = form_fields(page, "score-sheet")
    assert post_sheet(client, call, again).status_code == 302
    assert reload(karimov).state == "tested"
    assert stored_scores(karimov)[interview.id] == (Decimal("95.00"), examiner.id)
    assert reload(aliev).state == "tested"


def test_a_forged_or_unreadable_version_is_stale(client, login_as, scoring_world):
    call, language, interview = scoring_world["call"], scoring_world["language"], scoring_world["interview"]
    aliev = scoring_world["rows"]["aliev"]
    login_as(scoring_world["examiner"])
    for version in ("0", "x"):
        fields = sheet_form(client, call)
        fields.update({f"version-{aliev.id}": version, cell(aliev, language): "60", cell(aliev, interview): "60"})
        response = post_sheet(client, call, fields)
        assert response.status_code == 409
        assert CHANGED in response.get_data(as_text=True)
    assert reload(aliev).state == "eligible" and stored_scores(aliev) == {}


def test_a_row_that_left_the_sheet_is_stale(client, login_as, scoring_world):
    call, language, interview = scoring_world["call"], scoring_world["language"], scoring_world["interview"]
    aliev, karimov = scoring_world["rows"]["aliev"], scoring_world["rows"]["karimov"]
    login_as(scoring_world["examiner"])
    fields = sheet_form(client, call)
    # The applicant withdraws while the examiner types.
    db.session.execute(
        sa.update(Application)
        .where(Application.id == aliev.id)
        .values(state="withdrawn", version=Application.version + 1)
    )
    db.session.commit()
    fields.update(
        {
            cell(aliev, language): "60",
            cell(aliev, interview): "60",
            cell(karimov, language): "60",
            cell(karimov, interview): "60",
        }
    )
    response = post_sheet(client, call, fields)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert CHANGED in page and "1 applicant you had on the sheet is no longer on it" in page
    assert reload(karimov).state == "eligible"
    assert stored_scores(aliev) == stored_scores(karimov) == {}


def test_a_workflow_refusal_rolls_back_the_whole_sheet(client, login_as, scoring_world, monkeypatch):
    from irflow.scoring import operations as sheet_module
    from irflow.workflow import fire as real_fire

    calls = []

    def refuse_the_second(application, trigger, actor, **kwargs):
        calls.append(application.id)
        if len(calls) == 2:
            raise WorkflowError("Refused for the test.")
        return real_fire(application, trigger, actor, **kwargs)

    monkeypatch.setattr(sheet_module, "fire", refuse_the_second)
    call, language, interview = scoring_world["call"], scoring_world["language"], scoring_world["interview"]
    login_as(scoring_world["examiner"])
    fields = sheet_form(client, call)
    for application in scoring_world["rows"].values():
        fields.update({cell(application, language): "75", cell(application, interview): "75"})
    response = post_sheet(client, call, fields)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Refused for the test." in page
    assert 'value="75"' in page
    for application in scoring_world["rows"].values():
        assert reload(application).state == "eligible"
        assert stored_scores(application) == {} and log_of(application) == []


# --- tested rows: corrections --------------------------------------------------------------


def test_correcting_a_tested_row_recomputes_its_total(client, login_as, scoring_world):
    call, examiner, language, interview = (
        scoring_world["call"],
        scoring_world["examiner"],
        scoring_world["language"],
        scoring_world["interview"],
    )
    first = UserFactory(roles=["examiner"])
    tested = make_tested(call, "BOBOEV DAVRON", first, {"Language test": 60, "Interview": 70})
    assert tested.total_score == Decimal("70.00")
    login_as(examiner)
    fields = sheet_form(client, call)
    assert fields[cell(tested, language)] == "60" and absent(tested) not in sheet_form_names(client, call)
    fields[cell(tested, language)] = "80"
    assert post_sheet(client, call, fields).status_code == 302
    application = reload(tested)
    assert application.state == "tested"
    assert application.total_score == Decimal("80.00")  # (2·80 + 70 + 90) / 4
    # Only the changed score names the correcting examiner; no new state change is logged.
    assert stored_scores(application) == {
        language.id: (Decimal("80.00"), examiner.id),
        interview.id: (Decimal("70.00"), first.id),
    }
    assert log_of(application) == []
    assert "corrected: 1;" in client.get(sheet_url(call)).get_data(as_text=True)


def sheet_form_names(client, call):
    response = client.get(sheet_url(call))
    return form_fields(response.get_data(as_text=True), "score-sheet")[1]


def test_a_tested_score_cannot_be_removed_nor_marked_absent(client, login_as, scoring_world):
    call, language = scoring_world["call"], scoring_world["language"]
    tested = make_tested(call, "BOBOEV DAVRON", scoring_world["examiner"], {"Language test": 60, "Interview": 70})
    login_as(scoring_world["examiner"])
    fields = sheet_form(client, call)
    fields[cell(tested, language)] = ""
    response = post_sheet(client, call, fields)
    assert response.status_code == 400
    assert "cannot be removed" in row_html(response.get_data(as_text=True), tested)

    fields = sheet_form(client, call)
    fields[absent(tested)] = "y"  # forged: tested rows have no absent box
    response = post_sheet(client, call, fields)
    assert response.status_code == 400
    assert "cannot be marked absent" in row_html(response.get_data(as_text=True), tested)
    assert reload(tested).state == "tested"
    assert stored_scores(tested)[language.id][0] == Decimal("60.00")


def test_emptying_a_cell_of_an_eligible_row_removes_the_score(client, login_as, scoring_world):
    call, language, interview = scoring_world["call"], scoring_world["language"], scoring_world["interview"]
    aliev = scoring_world["rows"]["aliev"]
    score(aliev, language, 50, scoring_world["examiner"])
    db.session.commit()
    login_as(scoring_world["examiner"])
    fields = sheet_form(client, call)
    assert fields[cell(aliev, language)] == "50"
    fields[cell(aliev, language)] = ""
    fields[cell(aliev, interview)] = "70"
    assert post_sheet(client, call, fields).status_code == 302
    assert stored_scores(aliev) == {interview.id: (Decimal("70.00"), scoring_world["examiner"].id)}


def test_after_the_selection_is_confirmed_late_applicants_are_still_scored(client, login_as, scoring_world):
    """An applicant approved (or resubmitted) after the confirmation reaches the test later:
    the sheet stays open for them, while the scores of a decided applicant stay out of reach."""
    call, examiner, language, interview = (
        scoring_world["call"],
        scoring_world["examiner"],
        scoring_world["language"],
        scoring_world["interview"],
    )
    decided = make_tested(call, "BOBOEV DAVRON", examiner, {"Language test": 60, "Interview": 70})
    aliev = scoring_world["rows"]["aliev"]
    login_as(examiner)
    shown_before = sheet_form(client, call)
    fire(decided, "waitlist", UserFactory(roles=["head"]))
    call.selection_confirmed_at = utcnow()
    db.session.commit()

    page = client.get(sheet_url(call)).get_data(as_text=True)
    assert "The applicants below reached the test after it" in page
    assert f'data-application="{decided.id}"' not in page
    assert f'name="{cell(aliev, language)}"' in page

    # The decided applicant's score, from a sheet shown before the confirmation: refused.
    response = post_sheet(client, call, dict(shown_before, **{cell(decided, language): "99"}))
    assert response.status_code == 409
    assert stored_scores(decided)[language.id][0] == Decimal("60.00")

    fields = sheet_form(client, call)
    fields.update({cell(aliev, language): "75", cell(aliev, interview): "80"})
    assert post_sheet(client, call, fields).status_code == 302
    assert reload(aliev).state == "tested"
    assert [log.trigger for log in log_of(aliev)] == ["record_score"]


def test_an_examiner_does_not_score_their_own_application(client, login_as, scoring_world):
    call, examiner, language, interview = (
        scoring_world["call"],
        scoring_world["examiner"],
        scoring_world["language"],
        scoring_world["interview"],
    )
    own = ApplicationFactory(call=call, applicant=examiner, state="eligible", hosts=[], submitted_at=utcnow())
    login_as(examiner)
    page = client.get(sheet_url(call)).get_data(as_text=True)
    assert "Your own application" in row_html(page, own)
    assert f'name="{cell(own, language)}"' not in page
    fields = sheet_form(client, call)
    fields.update({f"version-{own.id}": own.version, cell(own, language): "100", cell(own, interview): "100"})
    response = post_sheet(client, call, fields)
    assert response.status_code == 400
    assert "your own application" in row_html(response.get_data(as_text=True), own)
    assert reload(own).state == "eligible" and stored_scores(own) == {}


# --- a constant number of queries ------------------------------------------------------------


def test_the_sheet_query_count_does_not_grow_with_the_rows(client, login_as):
    """Each applicant has a faculty of their own and some have scores, so anything loaded
    row by row would show as more statements for more rows."""

    def statements_for(count):
        with one_commit():
            examiner = UserFactory(roles=["examiner"])
            call = CallFactory(examiners=[examiner])
            language = call.test_criteria[0]
            for number in range(count):
                application = make_applicant(call, f"APPLICANT {number:03d}")
                if number % 2:
                    score(application, language, 50, examiner)
        login_as(examiner)
        client.get(sheet_url(call))  # warm up: first-request work is not what is measured
        with counting_statements() as statements:
            response = client.get(sheet_url(call))
        assert response.get_data(as_text=True).count('data-application="') == count
        return statements

    small = statements_for(3)
    large = statements_for(60)
    assert len(small) == len(large), "\n\n".join(large)


def test_the_examiner_finds_their_calls(client, login_as, scoring_world):
    call, examiner = scoring_world["call"], scoring_world["examiner"]
    make_tested(call, "BOBOEV DAVRON", examiner, {"Language test": 60, "Interview": 70})
    login_as(examiner)
    page = client.get("/scores/").get_data(as_text=True)
    assert page.count('data-call="') == 1
    row = page[page.index(f'data-call="{call.id}"') :]
    assert f'href="{sheet_url(call)}"' in row
    assert '<td class="text-end">3</td>\n    <td class="text-end">1</td>' in row
    login_as(UserFactory(roles=["head"]))
    assert client.get("/scores/").get_data(as_text=True).count('data-call="') == 2
    login_as(scoring_world["rows"]["aliev"].applicant)
    assert client.get("/scores/").status_code == 403
