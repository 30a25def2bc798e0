"""Exports of the selected participants: /calls/<id>/export/selected.csv|.xlsx and
/exports/<academic year>/selected.csv|.xlsx.

The files are read back the way the office reads them: the CSV with the csv module, the
XLSX with openpyxl."""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from flask_login import login_user

from irflow.models.base import utcnow
from irflow.services.spreadsheets import BOM, FileDownload
from irflow.workflow.states import HOLDING_STATES, STATES

from .fixtures.factories import ApplicationFactory, CallFactory, FacultyFactory, UserFactory, one_commit

HEADER = [
    "No",
    "Full name",
    "Full name (Latin)",
    "Category",
    "Faculty",
    "E-mail",
    "Phone",
    "Program",
    "Call",
    "Host institution",
    "Host country",
    "Mobility type",
    "Planned start",
    "Planned end",
    "Months",
    "Total score",
    "Rank",
    "State",
]
CYRILLIC_NAME = "Раҳимов Алишер Ҷамшедович"
HYPERLINK = '=HYPERLINK("http://evil.example","x")'
# Text that a spreadsheet would take for a formula (or strip and then take for one).
DANGEROUS = (HYPERLINK, "+992 92 777 00 00", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1")
# Not escaped (they do not start with a trigger), and yet no formula, link or number in XLSX.
LOOKS_ACTIVE = ("{=1+1}", "http://evil.example/x", "mailto:a@evil.example", "1e5", "0012")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- helpers ---------------------------------------------------------------------------


def participant(
    call, state="selected", faculty=None, place=0, rank=None, score=None, application_fields=None, **applicant_fields
):
    """An application of `call` in `state`; in a holding state it holds the call's place
    number `place`. The applicant gets a faculty of their own unless one is given."""
    faculty = faculty or FacultyFactory()
    applicant = UserFactory(faculty=faculty, **applicant_fields)
    host = call.places[place]
    return ApplicationFactory(
        call=call,
        applicant=applicant,
        faculty=faculty,
        state=state,
        hosts=[host],
        rank=rank,
        total_score=score,
        allocated_place=host if state in HOLDING_STATES else None,
        **(application_fields or {}),
    )


def read_csv(response):
    assert response.status_code == 200, response.status
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    data = response.get_data()
    assert data.startswith(BOM), "the BOM that makes Excel read UTF-8 is missing"
    text = data[len(BOM) :].decode("utf-8")
    assert "\ufeff" not in text
    return list(csv.reader(io.StringIO(text, newline="")))


def read_xlsx(response):
    assert response.status_code == 200, response.status
    assert response.headers["Content-Type"] == XLSX_TYPE
    return openpyxl.load_workbook(io.BytesIO(response.get_data())).active


def xlsx_values(sheet):
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def latin_names(rows):
    return [row[2] for row in rows[1:]]


def call_urls(call_id):
    return (f"/calls/{call_id}/export/selected.csv", f"/calls/{call_id}/export/selected.xlsx")


def year_urls(year):
    return (f"/exports/{year}/selected.csv", f"/exports/{year}/selected.xlsx")


@pytest.fixture
def head():
    return UserFactory(roles=["head"])


@pytest.fixture
def rich_call():
    """A call with one selected participant whose every exported field is known."""
    with one_commit():
        call = CallFactory(title="Erasmus+ KA171 Spring 2027", mobility_type="research")
        call.program.name = "Erasmus+ KA171"
        call.places[0].partner.name = "Universität Leipzig"
        faculty = FacultyFactory(name="Факултети филологияи рус")
        application = participant(
            call,
            "confirmed",
            faculty=faculty,
            rank=1,
            score=Decimal("87.50"),
            full_name_native=CYRILLIC_NAME,
            full_name_latin="RAHIMOV ALISHER",
            category="master",
            email="rahimov@example.org",
            phone="992927770000",
        )
    return call, application


# --- content -----------------------------------------------------------------------------


def test_csv_has_bom_header_in_order_and_every_value(client, login_as, head, rich_call):
    call, application = rich_call
    rows = read_csv(login_as(head).get(f"/calls/{call.id}/export/selected.csv"))

    assert rows[0] == HEADER
    assert rows[1:] == [
        [
            "1",
            CYRILLIC_NAME,
            "RAHIMOV ALISHER",
            "Master candidate",
            "Факултети филологияи рус",
            "rahimov@example.org",
            "992927770000",
            "Erasmus+ KA171",
            "Erasmus+ KA171 Spring 2027",
            "Universität Leipzig",
            "Germany",
            "Research",
            "2027-02-01",
            "2027-06-30",
            "5",
            "87.50",
            "1",
            "Place confirmed",
        ]
    ]


def test_xlsx_has_bold_frozen_header_and_typed_values(client, login_as, head, rich_call):
    call, application = rich_call
    sheet = read_xlsx(login_as(head).get(f"/calls/{call.id}/export/selected.xlsx"))

    assert [cell.value for cell in sheet[1]] == HEADER
    assert all(cell.font.b for cell in sheet[1])
    assert not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:R2"
    assert sheet.title == "Selected participants"
    # Widths were set (constant memory mode cannot autofit): names wide, numbers narrow.
    assert sheet.column_dimensions["B"].width > 30 > sheet.column_dimensions["A"].width > 0

    row = list(sheet[2])
    assert [cell.value for cell in row] == [
        1,
        CYRILLIC_NAME,
        "RAHIMOV ALISHER",
        "Master candidate",
        "Факултети филологияи рус",
        "rahimov@example.org",
        "992927770000",
        "Erasmus+ KA171",
        "Erasmus+ KA171 Spring 2027",
        "Universität Leipzig",
        "Germany",
        "Research",
        datetime(2027, 2, 1),
        datetime(2027, 6, 30),
        5,
        87.5,
        1,
        "Place confirmed",
    ]
    # The phone looks like a number but is text; numbers are numbers; dates are dates.
    assert row[6].data_type == "s"
    assert [row[index].data_type for index in (0, 14, 15, 16)] == ["n"] * 4
    assert row[12].is_date and row[13].is_date and row[12].number_format == "yyyy-mm-dd"


def test_host_country_and_labels_follow_the_requesters_language(client, login_as, rich_call):
    call, application = rich_call
    russian_head = UserFactory(roles=["head"], locale="ru")
    rows = read_csv(login_as(russian_head).get(f"/calls/{call.id}/export/selected.csv"))
    assert rows[1][10] == "Германия"


@pytest.mark.parametrize("value", DANGEROUS, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_formula_like_text_is_escaped_in_csv_and_plain_text_in_xlsx(client, login_as, head, value):
    with one_commit():
        call = CallFactory()
        participant(call, full_name_native=value, full_name_latin="EVIL", phone=value, rank=1)
    login_as(head)

    rows = read_csv(client.get(f"/calls/{call.id}/export/selected.csv"))
    assert rows[1][1] == "'" + value
    assert rows[1][6] == "'" + value

    sheet = read_xlsx(client.get(f"/calls/{call.id}/export/selected.xlsx"))
    for cell in (sheet["B2"], sheet["G2"]):
        assert cell.data_type == "s", "text became a formula or a number"
        assert cell.quotePrefix, "not marked as text for Excel"
    if value[0] not in "\t\r":  # (XML stores a leading CR as _x000D_, which openpyxl keeps)
        assert sheet["B2"].value == value


@pytest.mark.parametrize("value", LOOKS_ACTIVE)
def test_xlsx_text_never_becomes_a_formula_link_or_number(client, login_as, head, value):
    with one_commit():
        call = CallFactory()
        participant(call, full_name_native=value, rank=1)
    login_as(head)
    assert read_csv(client.get(f"/calls/{call.id}/export/selected.csv"))[1][1] == value
    cell = read_xlsx(client.get(f"/calls/{call.id}/export/selected.xlsx"))["B2"]
    assert (cell.value, cell.data_type, cell.hyperlink) == (value, "s", None)


def test_text_inside_is_not_escaped_and_numbers_stay_numbers(client, login_as, head):
    with one_commit():
        call = CallFactory(title="Teaching = learning - 2027 @KSU")
        participant(call, full_name_latin="O'NEIL-SMITH", rank=2, score=Decimal("-0.00"))
    login_as(head)
    rows = read_csv(client.get(f"/calls/{call.id}/export/selected.csv"))
    assert (rows[1][2], rows[1][8]) == ("O'NEIL-SMITH", "Teaching = learning - 2027 @KSU")
    sheet = read_xlsx(client.get(f"/calls/{call.id}/export/selected.xlsx"))
    assert sheet["C2"].value == "O'NEIL-SMITH"
    assert (sheet["P2"].data_type, sheet["Q2"].value) == ("n", 2)


def test_only_selected_participants_are_exported(client, login_as, head):
    with one_commit():
        call = CallFactory(places=(len(HOLDING_STATES), 1, 1))  # a place for each holding state
        for state in STATES:
            participant(call, state, full_name_latin=f"STATE {state.upper()}")
    login_as(head)

    expected = {f"STATE {state.upper()}" for state in HOLDING_STATES}
    rows = read_csv(client.get(f"/calls/{call.id}/export/selected.csv"))
    assert set(latin_names(rows)) == expected
    assert len(rows) == 1 + len(HOLDING_STATES)
    assert not {"STATE WAITLISTED", "STATE NOT_SELECTED", "STATE WITHDRAWN", "STATE DECLINED"} & set(latin_names(rows))
    sheet = read_xlsx(client.get(f"/calls/{call.id}/export/selected.xlsx"))
    assert {row[2] for row in xlsx_values(sheet)[1:]} == expected


def test_rows_are_numbered_and_ordered_by_call_rank_and_latin_name(client, login_as, head):
    now = utcnow()
    with one_commit():
        later = CallFactory(academic_year="2026/2027", opens_at=now - timedelta(days=2))
        earlier = CallFactory(academic_year="2026/2027", opens_at=now - timedelta(days=9))
        participant(later, full_name_latin="ALIEV", rank=1)
        participant(earlier, full_name_latin="ZIYOEV", rank=2, place=1)
        participant(earlier, full_name_latin="NAZAROVA", rank=None, place=2)
        participant(earlier, full_name_latin="BOBOEV", rank=2)
        participant(earlier, full_name_latin="KARIMOVA", rank=1)
    login_as(head)
    rows = read_csv(client.get(year_urls("2026-2027")[0]))
    assert [row[0] for row in rows[1:]] == ["1", "2", "3", "4", "5"]
    assert latin_names(rows) == ["KARIMOVA", "BOBOEV", "ZIYOEV", "NAZAROVA", "ALIEV"]
    assert [row[16] for row in rows[1:]] == ["1", "2", "2", "", "1"]


def test_months_come_from_the_place_or_else_from_the_planned_dates(client, login_as, head):
    with one_commit():
        call = CallFactory()
        placed = participant(call, full_name_latin="A PLACED", rank=1)
        unplaced = participant(
            call,
            full_name_latin="B UNPLACED",
            rank=2,
            application_fields={"planned_start": date(2027, 2, 1), "planned_end": date(2027, 4, 1)},
        )
        unplaced.allocated_place = None
        call.places[0].months = 4
    login_as(head)
    rows = read_csv(client.get(f"/calls/{call.id}/export/selected.csv"))
    assert [(row[2], row[9], row[14]) for row in rows[1:]] == [
        ("A PLACED", placed.allocated_place.partner.name, "4"),
        ("B UNPLACED", "", "2"),
    ]


# --- who may export what ---------------------------------------------------------------


def test_coordinator_exports_only_the_faculties_they_coordinate(client, login_as, head):
    with one_commit():
        call = CallFactory(academic_year="2026/2027", places=(4, 1, 1))
        germanic, oriental, physics = FacultyFactory(), FacultyFactory(), FacultyFactory()
        participant(call, faculty=germanic, full_name_latin="GERMANIC", rank=1)
        participant(call, faculty=oriental, full_name_latin="ORIENTAL", rank=2)
        moved = participant(call, faculty=physics, full_name_latin="PHYSICS", rank=3)
        # Scope is the faculty of the application, not where the applicant is now.
        moved.applicant.faculty = germanic
        one_faculty = UserFactory(coordinates=[germanic])
        # A coordinator selected themselves (from a faculty they do not coordinate): their
        # own application is theirs to see, but it is not on their faculty's list.
        ApplicationFactory(
            call=call,
            applicant=one_faculty,
            faculty=physics,
            state="selected",
            rank=4,
            hosts=[call.places[0]],
            allocated_place=call.places[0],
        )
        two_faculties = UserFactory(coordinates=[germanic, oriental])
        no_faculty = UserFactory(roles=["coordinator"])

    expectations = (
        (one_faculty, ["GERMANIC"]),
        (two_faculties, ["GERMANIC", "ORIENTAL"]),
        (no_faculty, []),
        (head, ["GERMANIC", "ORIENTAL", "PHYSICS", one_faculty.full_name_latin]),
    )
    for user, expected in expectations:
        login_as(user)
        for url in (call_urls(call.id)[0], year_urls("2026-2027")[0]):
            assert latin_names(read_csv(client.get(url))) == expected, (user.roles, url)
        sheet = read_xlsx(client.get(call_urls(call.id)[1]))
        assert [row[2] for row in xlsx_values(sheet)[1:]] == expected


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("applicant", 403),
        ("examiner", 403),
        ("inactive_head", 302),
        ("coordinator", 200),
        ("head", 200),
        ("admin", 200),
    ],
)
def test_role_matrix(client, login_as, role, status):
    with one_commit():
        call = CallFactory()
        application = participant(call, rank=1)
        users = {
            "applicant": application.applicant,
            "examiner": UserFactory(roles=["examiner"]),
            "inactive_head": UserFactory(roles=["head"], active=False),
            "coordinator": UserFactory(coordinates=[application.faculty]),
            "head": UserFactory(roles=["head"]),
            "admin": UserFactory(roles=["admin"]),
        }
        call.examiners = [users["examiner"]]
    if role != "anonymous":
        login_as(users[role])

    for url in call_urls(call.id) + year_urls("2026-2027"):
        response = client.get(url)
        assert response.status_code == status, url
        if status == 302:
            assert response.headers["Location"].startswith("/auth/login")
        if status == 200:
            assert response.headers["Content-Disposition"].startswith("attachment;")
            assert response.headers["Cache-Control"] == "private, no-store"
        else:
            assert b"USER" not in response.get_data()


def test_file_names_are_safe(client, login_as, head):
    call = CallFactory(title='Call "with" / strange; names')
    login_as(head)
    names = [client.get(url).headers["Content-Disposition"] for url in call_urls(call.id) + year_urls("2026-2027")]
    assert names == [
        f'attachment; filename="selected-call-{call.id}.csv"',
        f'attachment; filename="selected-call-{call.id}.xlsx"',
        'attachment; filename="selected-2026-2027.csv"',
        'attachment; filename="selected-2026-2027.xlsx"',
    ]


# --- academic year, not found -----------------------------------------------------------


def test_year_export_has_every_call_of_that_year_and_no_other(client, login_as, head):
    with one_commit():
        autumn = CallFactory(academic_year="2026/2027", title="Autumn")
        spring = CallFactory(academic_year="2026/2027", title="Spring")
        previous = CallFactory(academic_year="2025/2026", title="Previous")
        participant(autumn, full_name_latin="AUTUMN ONE", rank=1)
        participant(spring, full_name_latin="SPRING ONE", rank=1)
        participant(spring, "waitlisted", full_name_latin="SPRING WAITING", rank=2)
        participant(previous, full_name_latin="PREVIOUS ONE", rank=1)
    login_as(head)

    csv_url, xlsx_url = year_urls("2026-2027")
    rows = read_csv(client.get(csv_url))
    assert sorted(latin_names(rows)) == ["AUTUMN ONE", "SPRING ONE"]
    assert {row[8] for row in rows[1:]} == {"Autumn", "Spring"}
    sheet = read_xlsx(client.get(xlsx_url))
    assert sorted(row[2] for row in xlsx_values(sheet)[1:]) == ["AUTUMN ONE", "SPRING ONE"]
    assert latin_names(read_csv(client.get(year_urls("2025-2026")[0]))) == ["PREVIOUS ONE"]
    # A year without calls is an empty list, not an error.
    assert read_csv(client.get(year_urls("2030-2031")[0])) == [HEADER]
    # The call export keeps to its call.
    assert latin_names(read_csv(client.get(call_urls(spring.id)[0]))) == ["SPRING ONE"]


@pytest.mark.parametrize(
    "path",
    [
        *call_urls(987654),
        *year_urls("2026"),
        *year_urls("2026-2028"),
        *year_urls("2026_2027"),
        *year_urls("2026-27"),
        *year_urls("abcd-efgh"),
        *year_urls("2026%2F2027"),
        *year_urls("02026-2027"),
    ],
)
def test_unknown_call_and_bad_year_are_404(client, login_as, head, path):
    assert login_as(head).get(path).status_code == 404


# --- streaming ---------------------------------------------------------------------------


def dispatch(app, path, user):
    """The view's own Response object (the test client wraps every body in an iterator,
    so its responses all look streamed)."""
    with app.test_request_context(path):
        login_user(user)
        return app.full_dispatch_request()


def test_responses_are_streamed_not_built_in_memory(app, client, login_as, head):
    with one_commit():
        call = CallFactory(places=(3, 1, 1))
        for rank in range(1, 4):
            participant(call, rank=rank)
    csv_url, xlsx_url = call_urls(call.id)

    not_found = dispatch(app, "/calls/987654/export/selected.csv", head)
    assert not_found.status_code == 404 and not not_found.is_streamed  # the check can tell

    response = dispatch(app, csv_url, head)
    assert response.status_code == 200 and response.is_streamed
    assert response.content_length is None
    chunks = iter(response.response)
    first = next(chunks)
    assert first.startswith(BOM) and first.count(b"\r\n") == 1, "the header goes out before any row"
    assert b"".join(chunks).count(b"\r\n") == 3
    response.close()

    response = dispatch(app, xlsx_url, head)
    assert response.status_code == 200 and response.is_streamed
    download = response.response
    assert isinstance(download, FileDownload) and not download.closed
    body = b"".join(download)
    assert len(body) == response.content_length == download.size
    assert download.closed, "the temporary file is deleted once sent"

    # Through the client as well: the headers are there and the files are whole.
    login_as(head)
    with (
        client.get(csv_url, buffered=False) as csv_response,
        client.get(xlsx_url, buffered=False) as xlsx_response,
    ):
        assert csv_response.is_streamed and xlsx_response.is_streamed
