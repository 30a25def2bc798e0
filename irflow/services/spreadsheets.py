"""CSV and XLSX downloads that are safe to open in a spreadsheet and cost constant memory.

Generic: `csv_stream` and `xlsx_file` know nothing of irflow's models. They take a header
(a sequence of texts) and rows (any iterable of tuples, typically a query iterated in
batches) and never hold more than a few hundred rows at a time.

Cell values
    str             text. CSV: escaped with `escape_cell` (see there). XLSX: always a string
                    cell, never a formula; one that starts like a formula also carries
                    Excel's quote-prefix mark (text shown as typed, no visible apostrophe)
    int, float,     numbers: written as numbers in XLSX, as Python writes them in CSV
    Decimal         ("87.50"); never escaped, so -3 stays the number -3
    date            a date: an Excel date with the format yyyy-mm-dd in XLSX, ISO 8601 in CSV
    datetime        an Excel date-time (yyyy-mm-dd hh:mm) / ISO 8601 to the second. The time
                    zone is dropped, not converted: give times already in the reader's zone
    bool            TRUE/FALSE in XLSX, True/False in CSV
    None            an empty cell
    anything else   (lazy translated strings, ...) its str(), escaped as text

The column definitions of the exports live here too, in one place.

SELECTED_PARTICIPANT_COLUMNS — the selected participants export (CSV and XLSX alike),
columns in this order. It is a published interface: add new columns at the end, never
reorder or rename the keys. Headers and labels are in the requester's language.

 1 No                 1..n within the file
 2 Full name          native, as in the passport (Cyrillic / Tajik)
 3 Full name (Latin)  as in the passport
 4 Category           bachelor student, master candidate, PhD candidate, teacher, staff
 5 Faculty            the applicant's faculty when they applied
 6 E-mail
 7 Phone
 8 Program
 9 Call               its title
10 Host institution   the partner of the allocated place
11 Host country       its name (from the ISO code; the code if the name is unknown)
12 Mobility type
13 Planned start      date
14 Planned end        date
15 Months             number: the allocated place's months (without a place: from the
                      planned dates, see irflow/exports/queries.py)
16 Total score        number
17 Rank               number
18 State              the application's state

NOMINATION_COLUMNS — the nomination list for one host in one call (irflow/exports/
host_nominations.py), in this order; in English, as the host office reads it:

 1 No                 1..n within the file
 2 Full name (Latin)  as in the passport
 3 Date of birth      date
 4 Gender             female, male, other or undefined
 5 Nationality        country name (from the ISO code)
 6 Study level        study cycle with its EQF level
 7 EQF level          number (empty for staff)
 8 ISCED-F code       field of education, 2 to 4 digits
 9 Field of education the ISCED-F name
10 E-mail             the participant's
11 Host institution
12 Call               its title
13 Mobility type
14 Planned start      date
15 Planned end        date
16 Months             number: the allocated place's months
17 Sending coordinator       the coordinator who nominated (Latin name)
18 Coordinator's e-mail
19 Coordinator's phone
20 State              the application's state
The sensitive flags (fewer opportunities, special needs) are never among them.

PAYMENT_COLUMNS — the list of grant payments (irflow/payments/exports.py), in this order:
No, Application (its number), Full name (Latin), Full name, Call, Host institution, Grant
agreement (its number), Instalment (n), Instalments (N), Share % (number), Amount (number,
euros; negative: the participant pays back), Due on (date), State, Paid on (date), Reference.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections import namedtuple
from datetime import date, datetime
from decimal import Decimal
from typing import IO, TYPE_CHECKING

import xlsxwriter
from flask_babel import LazyString, pgettext
from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

# --- column definitions -----------------------------------------------------------------

# key: the name of the value in the rows; header: shown in the requester's language;
# width: the XLSX column width in characters (constant_memory mode cannot autofit later).
Column = namedtuple("Column", "key header width")

SELECTED_PARTICIPANT_COLUMNS = (
    # A bare "No" reads as the answer (it was translated "Нет"): the context says it is "№".
    Column("number", LazyString(lambda: pgettext("column of row numbers", "No")), 6),
    Column("full_name", _l("Full name"), 34),
    Column("full_name_latin", _l("Full name (Latin)"), 30),
    Column("category", _l("Category"), 18),
    Column("faculty", _l("Faculty"), 30),
    Column("email", _l("E-mail"), 30),
    Column("phone", _l("Phone"), 18),
    Column("program", _l("Program"), 28),
    Column("call", _l("Call"), 36),
    Column("host_institution", _l("Host institution"), 36),
    Column("host_country", _l("Host country"), 18),
    Column("mobility_type", _l("Mobility type"), 15),
    Column("planned_start", _l("Planned start"), 13),
    Column("planned_end", _l("Planned end"), 13),
    Column("months", _l("Months"), 9),
    Column("total_score", _l("Total score"), 12),
    Column("rank", _l("Rank"), 7),
    Column("state", _l("State"), 24),
)


NOMINATION_COLUMNS = (
    Column("number", LazyString(lambda: pgettext("column of row numbers", "No")), 6),
    Column("full_name_latin", _l("Full name (Latin)"), 30),
    Column("birth_date", _l("Date of birth"), 13),
    Column("gender", _l("Gender"), 12),
    Column("nationality", _l("Nationality"), 18),
    Column("study_level", _l("Study level"), 30),
    Column("eqf_level", _l("EQF level"), 10),
    Column("isced_code", _l("ISCED-F code"), 12),
    Column("field_of_education", _l("Field of education"), 36),
    Column("email", _l("E-mail"), 30),
    Column("host_institution", _l("Host institution"), 36),
    Column("call", _l("Call"), 36),
    Column("mobility_type", _l("Mobility type"), 15),
    Column("planned_start", _l("Planned start"), 13),
    Column("planned_end", _l("Planned end"), 13),
    Column("months", _l("Months"), 9),
    Column("coordinator", _l("Sending coordinator"), 30),
    Column("coordinator_email", _l("Coordinator's e-mail"), 30),
    Column("coordinator_phone", _l("Coordinator's phone"), 18),
    Column("state", _l("State"), 24),
)


PAYMENT_COLUMNS = (
    Column("number", LazyString(lambda: pgettext("column of row numbers", "No")), 6),
    Column("application", _l("Application"), 12),
    Column("full_name_latin", _l("Full name (Latin)"), 30),
    Column("full_name", _l("Full name"), 34),
    Column("call", _l("Call"), 36),
    Column("host_institution", _l("Host institution"), 36),
    Column("grant_agreement", _l("Grant agreement"), 18),
    Column("instalment", _l("Instalment"), 11),
    Column("instalments", _l("Instalments"), 11),
    Column("share_percent", _l("Share %"), 9),
    Column("amount", _l("Amount (EUR)"), 14),
    Column("due_on", _l("Due on"), 13),
    Column("state", _l("State"), 24),
    Column("paid_on", _l("Paid on"), 13),
    Column("reference", _l("Reference"), 30),
)


def headers(columns: Iterable[Column]) -> list[str]:
    """The header texts of `columns` in the current request's language."""
    return [str(column.header) for column in columns]


def widths(columns: Iterable[Column]) -> list[int]:
    return [column.width for column in columns]


# --- escaping ---------------------------------------------------------------------------

# OWASP "CSV Injection": a spreadsheet treats a cell starting with one of these as a formula
# (or, for tab and CR, may strip them and then see one). Prefixing a single quote makes the
# cell plain text in Excel, LibreOffice and Google Sheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: object) -> object:
    """Text starting with = + - @, a tab or a carriage return gets a leading apostrophe (').

    For CSV, where a spreadsheet program decides what a cell is. Only text is escaped:
    numbers, dates and None are returned as they are, so the number -3 stays -3 while the
    text "-3" becomes "'-3" (a phone number "+992 ..." shows as "'+992 ...": the price of
    the rule). XLSX needs no escape: its cells are typed, and `xlsx_file` marks such text
    with Excel's quote prefix instead.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


# --- CSV --------------------------------------------------------------------------------

BOM = "\ufeff".encode("utf-8")  # Excel reads UTF-8 (Cyrillic, Tajik) only after a BOM
CSV_ROWS_PER_CHUNK = 200


def _csv_value(value: object) -> object:
    value_type = type(value)
    if value_type is str:
        return escape_cell(value)
    if value is None:
        return ""
    if value_type in (int, float, Decimal):
        return value
    if value_type is date:
        return value.isoformat()
    if value_type is datetime:
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    if value_type is bool:
        return str(value)
    return escape_cell(str(value))


def csv_stream(
    header: Iterable[object], rows: Iterable[Sequence[object]], rows_per_chunk: int = CSV_ROWS_PER_CHUNK
) -> Iterator[bytes]:
    """Yield the CSV (comma separated, CRLF, RFC 4180 quoting) as UTF-8 byte chunks.

    The first chunk starts with the BOM and holds the header, so a download starts before
    the first row is read. Rows are written into a small buffer that is handed out and
    emptied every `rows_per_chunk` rows: memory does not grow with the number of rows.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_csv_value(text) for text in header])
    try:
        yield BOM + buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        pending = 0
        for row in rows:
            writer.writerow([_csv_value(value) for value in row])
            pending += 1
            if pending >= rows_per_chunk:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
                pending = 0
        if pending:
            yield buffer.getvalue().encode("utf-8")
    finally:
        # A download broken off half-way: let the rows release what they hold (a cursor).
        close = getattr(rows, "close", None)
        if close is not None:
            close()


# --- XLSX -------------------------------------------------------------------------------

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_SIZE = 64 * 1024
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
WORKBOOK_OPTIONS = {
    # Rows go to a temporary file as they are written: memory stays flat at any size.
    "constant_memory": True,
    # Text stays text: never a formula, a link or a number.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "default_date_format": DATE_FORMAT,
    "remove_timezone": True,
}
_SHEET_TITLE_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))
_PLAIN_TYPES = frozenset({int, float, Decimal, date, bool, type(None)})


def sheet_title_for(title: object) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = " ".join(str(title).translate(_SHEET_TITLE_FORBIDDEN).split()).strip("'")[:31].strip()
    return cleaned or "Sheet1"


class FileDownload:
    """A finished temporary file handed out in chunks; it is deleted when closed.

    Iterating reads CHUNK_SIZE bytes at a time and closes at the end; the WSGI server
    calls `close()` too if the client goes away half-way.
    """

    def __init__(self, fileobj: IO[bytes], chunk_size: int = CHUNK_SIZE) -> None:
        self._file = fileobj
        self._chunk_size = chunk_size
        fileobj.flush()
        self.size = os.fstat(fileobj.fileno()).st_size
        fileobj.seek(0)

    def __iter__(self) -> Iterator[bytes]:
        try:
            while True:
                chunk = self._file.read(self._chunk_size)
                if not chunk:
                    break
                yield chunk
        finally:
            self.close()

    def close(self) -> None:
        self._file.close()

    @property
    def closed(self) -> bool:
        return self._file.closed


def xlsx_file(
    header: Iterable[object],
    rows: Iterable[Sequence[object]],
    sheet_title: object,
    column_widths: Sequence[float] | None = None,
) -> FileDownload:
    """Write an XLSX of one worksheet to an unnamed temporary file and return a FileDownload.

    The header row is bold and frozen, the columns get `column_widths` (characters; by
    default from the header texts) before any row is written, and an autofilter covers
    the table. Values are written by type (see the module's docstring). Memory use does
    not depend on the number of rows: XlsxWriter's constant_memory mode flushes each row
    to disk, and `rows` is consumed as it comes.
    """
    target = tempfile.TemporaryFile()  # noqa: SIM115  (returned open: the caller streams it)
    try:
        # XlsxWriter's own scratch files (the rows, the parts of the zip) go to a private
        # folder that is removed also when writing fails half-way.
        with tempfile.TemporaryDirectory(prefix="irflow-xlsx-") as scratch:
            _write_workbook(target, scratch, header, rows, sheet_title, column_widths)
        return FileDownload(target)
    except BaseException:
        target.close()
        raise


def _write_workbook(
    target: IO[bytes],
    scratch: str,
    header: Iterable[object],
    rows: Iterable[Sequence[object]],
    sheet_title: object,
    column_widths: Sequence[float] | None,
) -> None:
    # Closed also when `rows` fails half-way: in constant_memory mode each worksheet keeps
    # its rows in an open scratch file until the workbook is closed.
    with xlsxwriter.Workbook(target, {**WORKBOOK_OPTIONS, "tmpdir": scratch}) as workbook:
        _fill_workbook(workbook, header, rows, sheet_title, column_widths)


def _fill_workbook(
    workbook: xlsxwriter.Workbook,
    header: Iterable[object],
    rows: Iterable[Sequence[object]],
    sheet_title: object,
    column_widths: Sequence[float] | None,
) -> None:
    worksheet = workbook.add_worksheet(sheet_title_for(sheet_title))
    bold = workbook.add_format({"bold": True})
    datetime_format = workbook.add_format({"num_format": DATETIME_FORMAT})
    # Excel's own "text, not a formula" mark: the cell shows the text as it is, with no
    # visible apostrophe, and Excel never evaluates it.
    quoted_text = workbook.add_format({"quote_prefix": True})

    header = [escape_cell(str(text)) for text in header]
    if column_widths is None:
        column_widths = [max(10, len(text) + 2) for text in header]
    for column, width in enumerate(column_widths):
        worksheet.set_column(column, column, width)
    worksheet.freeze_panes(1, 0)
    worksheet.write_row(0, 0, header, bold)

    write_row = worksheet.write_row
    last_row = 0
    for last_row, row in enumerate(rows, 1):
        cells = list(row)
        late = None  # cells written after the row with a format of their own
        for column, value in enumerate(cells):
            value_type = type(value)
            if value_type in _PLAIN_TYPES:
                continue
            if value_type is not str and value_type is not datetime:
                value = cells[column] = str(value)  # lazy translations and the like
            if value_type is datetime or value.startswith(FORMULA_TRIGGERS):
                late = (late or []) + [(column, value)]
                cells[column] = None
        write_row(last_row, 0, cells)
        if late:
            for column, value in late:
                if type(value) is datetime:
                    worksheet.write_datetime(last_row, column, value, datetime_format)
                else:
                    worksheet.write_string(last_row, column, value, quoted_text)
    if header:
        worksheet.autofilter(0, 0, last_row, len(header) - 1)
