"""irflow/services/spreadsheets.py on its own: escaping, CSV chunks, XLSX cell types."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest
from flask_babel import lazy_gettext

from irflow.services.spreadsheets import (
    BOM,
    SELECTED_PARTICIPANT_COLUMNS,
    csv_stream,
    escape_cell,
    headers,
    sheet_title_for,
    widths,
    xlsx_file,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        (" =1", " =1"),
        ("'=1", "'=1"),
        ("", ""),
        ("Раҳимов", "Раҳимов"),
        (-3, -3),
        (Decimal("-1.5"), Decimal("-1.5")),
        (-0.5, -0.5),
        (date(2027, 2, 1), date(2027, 2, 1)),
        (None, None),
    ],
)
def test_escape_cell(value, expected):
    assert escape_cell(value) == expected


def test_columns_are_defined_once_in_the_published_order():
    assert [column.key for column in SELECTED_PARTICIPANT_COLUMNS] == [
        "number",
        "full_name",
        "full_name_latin",
        "category",
        "faculty",
        "email",
        "phone",
        "program",
        "call",
        "host_institution",
        "host_country",
        "mobility_type",
        "planned_start",
        "planned_end",
        "months",
        "total_score",
        "rank",
        "state",
    ]
    assert headers(SELECTED_PARTICIPANT_COLUMNS)[:3] == ["No", "Full name", "Full name (Latin)"]
    assert all(5 <= width <= 40 for width in widths(SELECTED_PARTICIPANT_COLUMNS))


class Rows:
    """Rows that say whether they were closed, like a query's cursor."""

    def __init__(self, count):
        self.count, self.closed = count, False

    def __iter__(self):
        return ((number, f"name {number}") for number in range(1, self.count + 1))

    def close(self):
        self.closed = True


def test_csv_comes_in_small_chunks_with_the_bom_first():
    rows = Rows(25)
    chunks = list(csv_stream(["No", "Name"], rows, rows_per_chunk=10))
    assert chunks[0] == BOM + b"No,Name\r\n"
    assert [chunk.count(b"\r\n") for chunk in chunks] == [1, 10, 10, 5]
    assert not any(BOM in chunk for chunk in chunks[1:])
    assert rows.closed


def test_csv_broken_off_half_way_releases_the_rows():
    rows = Rows(1000)
    stream = csv_stream(["No", "Name"], iter_with_close(rows), rows_per_chunk=10)
    next(stream), next(stream)
    stream.close()
    assert rows.closed


def iter_with_close(rows):
    try:
        yield from rows
    finally:
        rows.close()


def test_csv_writes_each_type_plainly():
    lazy = lazy_gettext("Selected")
    row = (
        1,
        Decimal("87.50"),
        -2,
        0.25,
        date(2027, 2, 1),
        datetime(2027, 2, 1, 9, 30, tzinfo=UTC),
        True,
        None,
        lazy,
        "=1",
        'say "hi", then\nleave',
    )
    data = b"".join(csv_stream(["h"] * len(row), [row]))
    parsed = list(csv.reader(io.StringIO(data[len(BOM) :].decode("utf-8"), newline="")))
    assert parsed[1] == [
        "1",
        "87.50",
        "-2",
        "0.25",
        "2027-02-01",
        "2027-02-01 09:30:00",
        "True",
        "",
        "Selected",
        "'=1",
        'say "hi", then\nleave',
    ]


def test_xlsx_writes_each_type_as_itself():
    lazy = lazy_gettext("Selected")
    row = (
        1,
        Decimal("87.50"),
        -2,
        0.25,
        date(2027, 2, 1),
        datetime(2027, 2, 1, 9, 30, tzinfo=UTC),
        True,
        None,
        lazy,
        "=1",
        "-2",
    )
    download = xlsx_file(["=h"] + ["h"] * (len(row) - 1), iter([row, row]), "Selected: [2026/2027]")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download))).active
    assert download.closed
    assert sheet.title == "Selected 2026 2027"
    assert sheet["A1"].value == "'=h" and sheet["A1"].font.b
    cells = list(sheet[2])
    assert [cell.value for cell in cells] == [
        1,
        87.5,
        -2,
        0.25,
        datetime(2027, 2, 1),
        datetime(2027, 2, 1, 9, 30),
        True,
        None,
        "Selected",
        "=1",
        "-2",
    ]
    assert [cell.quotePrefix for cell in cells[-3:]] == [False, True, True]
    assert [cell.data_type for cell in cells] == ["n", "n", "n", "n", "d", "d", "b", "n", "s", "s", "s"]
    assert (cells[4].number_format, cells[5].number_format) == ("yyyy-mm-dd", "yyyy-mm-dd hh:mm")
    assert sheet.max_row == 3 and sheet.freeze_panes == "A2"


def test_xlsx_of_no_rows_is_a_header():
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx_file(["No", "Name"], [], "x")))).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [["No", "Name"]]


def test_xlsx_failing_half_way_raises_and_leaves_nothing_behind(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))

    def rows():
        yield (1, "a")
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="went away"):
        xlsx_file(["No", "Name"], rows(), "x")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Selected participants", "Selected participants"),
        ("a" * 40, "a" * 31),
        ("[]:*?/\\", "Sheet1"),
        ("'quoted'", "quoted"),
        ("Отобранные участники", "Отобранные участники"),
    ],
)
def test_sheet_titles_excel_accepts(title, expected):
    assert sheet_title_for(title) == expected
