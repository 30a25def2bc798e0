"""Scores from a CSV file: /calls/<id>/scores/import and /calls/<id>/scores/template.csv."""

import csv
import io
from decimal import Decimal

import pytest

from irflow.extensions import db
from irflow.models.base import utcnow
from irflow.scoring import csv_import

from .fixtures.factories import UserFactory, one_commit
from .fixtures.scoring import (
    CHANGED,
    form_fields,
    log_of,
    make_applicant,
    make_tested,
    reload,
    sheet_form,
    sheet_url,
    stored_scores,
)


def import_url(call):
    return f"/calls/{call.id}/scores/import"


def upload(client, call, content, filename="scores.csv"):
    """Upload `content` (str: UTF-8 without BOM; bytes: as given) for the preview."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(
        import_url(call),
        data={
            "csrf_token": client.csrf_token(import_url(call)),
            "step": "preview",
            "file": (io.BytesIO(data), filename),
        },
        content_type="multipart/form-data",
    )


def confirm_fields(response):
    fields, _names = form_fields(response.get_data(as_text=True), "confirm")
    return fields


def confirm(client, call, fields):
    return client.post(import_url(call), data=fields)


def problems_of(page, line):
    start = page.index(f'data-line="{line}"')
    return page[start : page.index("</tr>", start)]


@pytest.fixture
def examiner_in(client, login_as, scoring_world):
    login_as(scoring_world["examiner"])
    return scoring_world


# --- a good file -----------------------------------------------------------------------------


def test_a_good_file_previews_then_saves(client, examiner_in):
    world = examiner_in
    call, examiner, language, interview = world["call"], world["examiner"], world["language"], world["interview"]
    karimov, aliev, saidova = (world["rows"][name] for name in ("karimov", "aliev", "saidova"))
    content = (
        "application,email,Language test,Interview,absent\n"
        f"{karimov.id},,70,85.5,\n"
        f",{aliev.applicant.email.upper()},64,,\n"
        f"{saidova.id},{saidova.applicant.email},,,yes\n"
    )
    response = upload(client, call, content)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "3 rows checked, no errors." in page
    assert 'data-plan="record"' in problems_of(page, 2)
    assert 'data-plan="partial"' in problems_of(page, 3)
    assert 'data-plan="absent"' in problems_of(page, 4)
    assert 'id="confirm"' in page
    # Nothing is saved by the preview.
    for application in (karimov, aliev, saidova):
        assert reload(application).state == "eligible" and stored_scores(application) == {}

    response = confirm(client, call, confirm_fields(response))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(sheet_url(call))
    assert reload(karimov).state == "tested"
    assert reload(karimov).total_score == Decimal("78.88")  # (2·70 + 85.5 + 90) / 4
    (entry,) = log_of(karimov)
    assert (entry.trigger, entry.actor_id) == ("record_score", examiner.id)
    assert reload(aliev).state == "eligible"
    assert stored_scores(aliev) == {language.id: (Decimal("64.00"), examiner.id)}
    assert reload(saidova).state == "absent"
    assert stored_scores(karimov)[interview.id] == (Decimal("85.50"), examiner.id)
    page = client.get(sheet_url(call)).get_data(as_text=True)
    assert "Recorded as tested: 1; marked absent: 1; corrected: 0; partly scored: 1." in page


def test_a_bom_semicolons_and_decimal_commas_are_accepted(client, examiner_in):
    world = examiner_in
    call, karimov = world["call"], world["rows"]["karimov"]
    content = f'\ufeff APPLICATION ; language TEST;interview\r\n{karimov.id};72,5;"80,25"\r\n'
    response = upload(client, call, content.encode("utf-8"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert 'data-plan="record"' in response.get_data(as_text=True)
    assert confirm(client, call, confirm_fields(response)).status_code == 302
    assert reload(karimov).state == "tested"
    assert {value for value, _examiner in stored_scores(karimov).values()} == {Decimal("72.50"), Decimal("80.25")}


def test_the_template_lists_the_eligible_applicants_and_comes_back(client, examiner_in):
    world = examiner_in
    call, examiner = world["call"], world["examiner"]
    with one_commit():
        tested = make_tested(call, "BOBOEV DAVRON", examiner, {"Language test": 60, "Interview": 70})
        submitted = make_applicant(call, "ABDULLOEV SUHROB", state="submitted")
        tricky = make_applicant(call, "=HYPERLINK(1)", email="-tricky@example.org")
    response = client.get(f"/calls/{call.id}/scores/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["application", "email", "name", "Language test", "Interview", "absent"]
    listed = {int(row[0]): row for row in rows[1:]}
    eligible = [*world["rows"].values(), tricky]
    assert set(listed) == {application.id for application in eligible}
    assert tested.id not in listed and submitted.id not in listed
    assert listed[world["rows"]["aliev"].id][1:] == [world["rows"]["aliev"].applicant.email, "ALIEV BAHROM", "", "", ""]
    # Nothing a spreadsheet would run as a formula.
    assert listed[tricky.id][1:3] == ["'-tricky@example.org", "'=HYPERLINK(1)"]

    # Filled in as it is, it imports.
    filled = [rows[0]] + [row[:3] + ["50", "60", ""] for row in rows[1:]]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(filled)
    response = upload(client, call, "\ufeff" + buffer.getvalue())
    assert response.status_code == 200, response.get_data(as_text=True)
    assert confirm(client, call, confirm_fields(response)).status_code == 302
    assert {reload(application).state for application in eligible} == {"tested"}


# --- bad rows, bad files -------------------------------------------------------------------


def test_every_bad_row_is_listed_and_nothing_is_saved(client, examiner_in):
    world = examiner_in
    call = world["call"]
    karimov, aliev, saidova = (world["rows"][name] for name in ("karimov", "aliev", "saidova"))
    submitted = make_applicant(call, "ABDULLOEV SUHROB", state="submitted")
    good = make_applicant(call, "ZOIROV FARRUH")
    content = (
        "application,email,Language test,Interview,absent\n"
        "999999,,50,50,\n"  # 2 unknown number
        ",nobody@example.org,50,50,\n"  # 3 unknown e-mail
        f"{karimov.id},,101,50,\n"  # 4 above 100
        f"{aliev.id},,50,-1,\n"  # 5 below 0
        f"{saidova.id},,abc,50,\n"  # 6 not a number
        f"{good.id},,50,50,\n"  # 7 good
        f",{good.applicant.email},60,60,\n"  # 8 the same applicant again
        f"{submitted.id},,50,50,\n"  # 9 not eligible
        f"{karimov.id}x,,50,50,\n"  # 10 not a number of an application
        f"{aliev.id},{saidova.applicant.email},50,50,\n"  # 11 two different applicants
        ",,50,50,\n"  # 12 nobody named
        f"{karimov.id},,50,50,maybe\n"  # 13 absent not yes/no (and a duplicate)
    )
    response = upload(client, call, content)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="confirm"' not in page
    assert "rows have errors" in page
    expected = {
        2: "this call has no application no. 999999",
        3: "nobody applied to this call from nobody@example.org",
        4: "Language test: “101” — A score must be from 0 to 100.",
        5: "Interview: “-1” — A score must be from 0 to 100.",
        6: "Language test: “abc” — Not a number.",
        8: "The same applicant is already on line 7.",
        9: "Applicant not eligible for the test: the application is “Submitted”.",
        10: f"“{karimov.id}x” is not an application number.",
        11: "The application number and the e-mail belong to different applicants.",
        12: "Give the application number or the e-mail of the applicant.",
        13: "Absent: write “yes” or leave the cell empty",
    }
    for line, reason in expected.items():
        assert reason in problems_of(page, line), line
    assert "row-problem" not in problems_of(page, 7)
    assert 'data-plan="record"' in problems_of(page, 7)
    for application in (karimov, aliev, saidova, submitted, good):
        assert stored_scores(application) == {}
        assert reload(application).state in ("eligible", "submitted")


def test_a_forged_confirmation_is_checked_again(client, examiner_in):
    world = examiner_in
    call, karimov = world["call"], world["rows"]["karimov"]
    response = upload(client, call, f"application,Language test,Interview\n{karimov.id},50,50\n")
    fields = confirm_fields(response)
    assert fields
    bad = f"application,Language test,Interview\n{karimov.id},150,50\n999999,50,50\n".encode()
    forged = dict(fields, content=csv_import.encode_content(bad))
    response = confirm(client, call, forged)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was saved" in page and 'id="confirm"' not in page
    assert "A score must be from 0 to 100." in page and "no application no. 999999" in page

    for content in ("not base64 at all!", "", csv_import.encode_content(b"x" * (csv_import.MAX_BYTES + 1))):
        response = confirm(client, call, dict(fields, content=content))
        assert response.status_code == 400
    assert reload(karimov).state == "eligible" and stored_scores(karimov) == {}


def test_a_confirmation_without_a_file_checked_by_this_user_is_refused(client, login_as, scoring_world):
    """The head may look at the sheet but cannot save, not even through a forged confirmation."""
    call, karimov = scoring_world["call"], scoring_world["rows"]["karimov"]
    login_as(scoring_world["examiner"])
    fields = confirm_fields(upload(client, call, f"application,Language test,Interview\n{karimov.id},50,50\n"))
    login_as(UserFactory(roles=["head"]))
    assert client.get(import_url(call)).status_code == 403
    response = confirm(client, call, dict(fields, csrf_token=client.csrf_token("/")))
    assert response.status_code == 403
    assert reload(karimov).state == "eligible"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("application,Language test", "The column for the criterion “Interview” is missing."),
        ("application,Language test,Interview,Essay", "Unknown column “Essay”"),
        ("Language test,Interview", "needs a column “application”"),
        ("application,Language test,Interview,interview", "The column “interview” appears twice."),
    ],
)
def test_file_level_errors(client, examiner_in, header, message):
    world = examiner_in
    call, karimov = world["call"], world["rows"]["karimov"]
    response = upload(client, call, f"{header}\n{karimov.id},50,50\n")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'id="confirm"' not in page and 'id="preview-rows"' not in page
    assert stored_scores(karimov) == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\r\n \r\n", "The file is empty."),
        (
            "application,Language test,Interview\n1,50,50\n".encode("cp1251") + "Иванов".encode("cp1251"),
            "The file is not UTF-8 text.",
        ),
        (b"application,Language test,Interview\n", "no rows of scores"),
        (b"x" * (1024 * 1024 + 1), "larger than 1 MB"),
        (b"PK\x03\x04\x00\x00", "This is not a CSV text file."),
    ],
)
def test_unreadable_files(client, examiner_in, content, message):
    response = upload(client, examiner_in["call"], content)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_no_file_chosen(client, examiner_in):
    call = examiner_in["call"]
    response = client.post(
        import_url(call),
        data={"csrf_token": client.csrf_token(import_url(call)), "step": "preview"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Choose a CSV file to upload." in response.get_data(as_text=True)


def test_at_most_5000_rows(client, examiner_in):
    world = examiner_in
    rows = "".join(f"{number},50,50\n" for number in range(1, 5002))
    response = upload(client, world["call"], "application,Language test,Interview\n" + rows)
    assert response.status_code == 400
    assert "at most 5000 can be imported" in response.get_data(as_text=True)


# --- tested applicants, changes meanwhile, the confirmed selection ------------------------------


def test_a_tested_applicant_is_corrected_before_the_selection(client, examiner_in):
    world = examiner_in
    call, examiner, language = world["call"], world["examiner"], world["language"]
    tested = make_tested(call, "BOBOEV DAVRON", UserFactory(roles=["examiner"]), {"Language test": 60, "Interview": 70})
    response = upload(client, call, f"application,Language test,Interview\n{tested.id},80,\n")
    assert response.status_code == 200
    assert 'data-plan="correct"' in response.get_data(as_text=True)
    assert confirm(client, call, confirm_fields(response)).status_code == 302
    application = reload(tested)
    assert application.state == "tested" and application.total_score == Decimal("80.00")
    assert stored_scores(application)[language.id] == (Decimal("80.00"), examiner.id)

    # Marking a tested applicant absent is not a correction.
    response = upload(client, call, f"application,Language test,Interview,absent\n{tested.id},,,yes\n")
    assert response.status_code == 400
    assert "cannot be marked absent" in response.get_data(as_text=True)


def test_changes_between_preview_and_confirmation_are_not_overwritten(client, examiner_in):
    world = examiner_in
    call, interview = world["call"], world["interview"]
    karimov, aliev = world["rows"]["karimov"], world["rows"]["aliev"]
    response = upload(client, call, f"application,Language test,Interview\n{karimov.id},70,80\n{aliev.id},50,50\n")
    fields = confirm_fields(response)
    # Meanwhile the examiner scores Karimov on the sheet (or another examiner does).
    sheet = sheet_form(client, call)
    sheet[f"score-{karimov.id}-{interview.id}"] = "30"
    assert client.post(sheet_url(call), data=sheet).status_code == 302

    response = confirm(client, call, fields)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert CHANGED in page
    assert stored_scores(karimov)[interview.id][0] == Decimal("30.00")
    assert reload(aliev).state == "eligible" and stored_scores(aliev) == {}
    # The new preview may be confirmed: the file wins, knowingly.
    assert confirm(client, call, confirm_fields(response)).status_code == 302
    assert stored_scores(karimov)[interview.id][0] == Decimal("80.00")
    assert reload(aliev).state == "tested"


def test_after_the_selection_is_confirmed_late_applicants_are_still_imported(client, examiner_in):
    """Applicants who reach the test after the confirmation are scored from a file too."""
    world = examiner_in
    call, karimov = world["call"], world["rows"]["karimov"]
    call.selection_confirmed_at = utcnow()
    db.session.commit()
    assert 'type="file"' in client.get(import_url(call)).get_data(as_text=True)
    response = upload(client, call, f"application,Language test,Interview\n{karimov.id},50,50\n")
    assert confirm(client, call, confirm_fields(response)).status_code == 302
    assert reload(karimov).state == "tested" and stored_scores(karimov)


@pytest.mark.parametrize("who", ["other_examiner", "applicant", "anonymous"])
def test_only_assigned_examiners_import(client, login_as, scoring_world, who):
    call = scoring_world["call"]
    if who == "other_examiner":
        login_as(scoring_world["other_examiner"])
    elif who == "applicant":
        login_as(scoring_world["rows"]["aliev"].applicant)
    response = client.get(import_url(call))
    if who == "anonymous":
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
        assert client.get(f"/calls/{call.id}/scores/template.csv").status_code == 302
    else:
        assert response.status_code == 403
        assert client.get(f"/calls/{call.id}/scores/template.csv").status_code == 403
