"""Scores from a CSV file: reading, checking every row, and the template to fill in.

The file is checked as a whole before anything is saved: the preview lists every row with
what saving it would do, and every bad row with the reasons. Only a file without a single
bad row can be saved, through the same sheet.check_rows / operations.save_scores as the sheet.

Between the preview and the confirmation the file travels in the confirmation form itself
(compressed, base64), not in the server-side state: irflow keeps its session in a signed
cookie (4 KB), and a stored copy would need a place on disk, its own clean-up and a rule for
several workers. The confirmation is read and checked again from scratch, so nothing the
browser sends back is trusted; the versions seen at the preview come back with it, so
that scores someone else saved in between are not overwritten unnoticed. The form is sent
URL-encoded, which Werkzeug limits by MAX_CONTENT_LENGTH (10 MB), not by the 500 kB
MAX_FORM_MEMORY_SIZE of multipart fields.
"""

import base64
import binascii
import csv
import io
import zlib
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext as _

from ..models.states import STATE_LABELS
from ..models.translated import texts
from ..services.spreadsheets import FORMULA_TRIGGERS, escape_cell
from . import sheet

MAX_BYTES = 1024 * 1024
MAX_ROWS = 5000

NUMBER_COLUMN = "application"
EMAIL_COLUMN = "email"
ABSENT_COLUMN = "absent"
# The template names each applicant for the examiner's eyes; an import ignores the column.
NAME_COLUMN = "name"
ALIASES = {"e-mail": EMAIL_COLUMN}
DELIMITERS = (",", ";")

YES = {"yes", "y", "1", "true", "x", "да", "ҳа"}
NO = {"", "no", "n", "0", "false", "нет", "не"}


class FileProblem(ValueError):
    """The file as a whole cannot be read; the message is for the user."""


# --- the file and its journey to the confirmation ---------------------------------------


def read_upload(storage):
    """The uploaded file's bytes, at most MAX_BYTES."""
    data = storage.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise FileProblem(_("The file is larger than 1 MB. Split it into smaller files."))
    if not data.strip():
        raise FileProblem(_("The file is empty."))
    return data


def encode_content(data):
    return base64.urlsafe_b64encode(zlib.compress(data, 9)).decode("ascii")


def decode_content(text):
    """The file's bytes back from the confirmation form; never more than MAX_BYTES."""
    try:
        packed = base64.urlsafe_b64decode((text or "").encode("ascii"))
        unpacker = zlib.decompressobj()
        data = unpacker.decompress(packed, MAX_BYTES + 1)
    except (binascii.Error, ValueError, UnicodeEncodeError, zlib.error):
        raise FileProblem(_("The checked file did not come back intact. Upload it again.")) from None
    if len(data) > MAX_BYTES or unpacker.unconsumed_tail:
        raise FileProblem(_("The file is larger than 1 MB. Split it into smaller files."))
    if not data:
        raise FileProblem(_("The checked file did not come back intact. Upload it again."))
    return data


def encode_versions(preview):
    return ",".join(f"{row.application.id}.{row.application.version}" for row in preview.rows if row.input is not None)


def decode_versions(text):
    versions = {}
    for item in (text or "").split(","):
        number, _dot, version = item.partition(".")
        if _plain_number(number) and _plain_number(version):
            versions[int(number)] = int(version)
    return versions


def _plain_number(text):
    # str.isdigit() also accepts superscripts and the like, which int() refuses.
    return text.isascii() and text.isdigit() and len(text) <= 18


def _decode_text(data):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileProblem(_("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.")) from None
    if "\x00" in text:
        raise FileProblem(_("This is not a CSV text file. Save the spreadsheet as “CSV UTF-8” and try again."))
    return text


# --- reading the rows ------------------------------------------------------------------


def _key(name):
    key = " ".join(_unformula((name or "").strip()).split()).casefold()
    return ALIASES.get(key, key)


def _header_score(cells, known):
    return sum(1 for cell in cells if _key(cell) in known), len(cells)


def _pick_delimiter(text, known):
    """Comma or semicolon: whichever makes more of the header row known column names."""
    first_line = text.lstrip("\r\n").splitlines()[0] if text.strip() else ""
    scored = [
        (_header_score(next(csv.reader([first_line], delimiter=delimiter), []), known), -index, delimiter)
        for index, delimiter in enumerate(DELIMITERS)
    ]
    return max(scored)[2]


def _unformula(value):
    """The template escapes cells that a spreadsheet would run as a formula; undo it."""
    if value.startswith("'") and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


@dataclass
class PreviewRow:
    line: int
    number: str = ""
    email: str = ""
    application: object = None
    cells: dict = field(default_factory=dict)  # criterion id -> text as in the file
    absent_text: str = ""
    absent: bool = False
    input_values: dict = field(default_factory=dict)  # criterion id -> Decimal, the scores given
    problems: list = field(default_factory=list)
    input: object = None  # sheet.RowInput when the applicant is on the sheet
    plan: str | None = None

    @property
    def ok(self):
        return not self.problems


@dataclass
class Preview:
    criteria: list
    rows: list = field(default_factory=list)
    file_problems: list = field(default_factory=list)
    applications: dict = field(default_factory=dict)  # the sheet's applications by id
    stale: set = field(default_factory=set)
    check: object = None  # sheet.Check of the rows read

    @property
    def bad_rows(self):
        return [row for row in self.rows if row.problems]

    @property
    def ok(self):
        return not self.file_problems and bool(self.rows) and not self.bad_rows

    @property
    def inputs(self):
        return [row.input for row in self.rows if row.input is not None]

    @property
    def counts(self):
        return Counter(row.plan for row in self.rows if row.ok and row.plan)


def build_preview(data, call, examiner, versions=None):
    """Read and check the file. `versions` ({application id: version}, from the preview)
    makes rows changed since then stale; without it nothing is stale."""
    criteria = call.test_criteria
    preview = Preview(criteria=criteria)
    try:
        text = _decode_text(data)
    except FileProblem as problem:
        preview.file_problems.append(str(problem))
        return preview

    # A criterion's column may be named in any of its languages: the template is in the
    # language of whoever downloaded it, maybe not of whoever imports it.
    by_name = {}
    for criterion in criteria:
        for name in [criterion.name, *texts(criterion, "name").values()]:
            by_name.setdefault(_key(name), criterion)
    known = {NUMBER_COLUMN, EMAIL_COLUMN, ABSENT_COLUMN, NAME_COLUMN} | set(by_name)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_pick_delimiter(text, known))
    try:
        records = [(reader.line_num, record) for record in reader]
    except csv.Error as error:
        preview.file_problems.append(_("The file is not valid CSV: %(error)s", error=str(error)))
        return preview

    records = [(line, record) for line, record in records if any(cell.strip() for cell in record)]
    if not records:
        preview.file_problems.append(_("The file is empty."))
        return preview
    header = records[0][1]
    columns = _columns(header, by_name, preview)
    if preview.file_problems:
        return preview
    data_records = records[1:]
    if not data_records:
        preview.file_problems.append(_("The file has a header row but no rows of scores."))
        return preview
    if len(data_records) > MAX_ROWS:
        preview.file_problems.append(
            _(
                "The file has %(count)s rows; at most %(limit)s can be imported at once. Split it into smaller files.",
                count=len(data_records),
                limit=MAX_ROWS,
            )
        )
        return preview

    everyone = sheet.call_applications(call)
    by_id = {application.id: application for application in everyone}
    by_email = {application.applicant.email.strip().casefold(): application for application in everyone}
    preview.applications = {
        application.id: application for application in everyone if application.state in sheet.SHEET_STATES
    }
    first_line_of = {}
    for line, record in data_records:
        row = _read_row(line, record, header, columns, criteria, by_id, by_email)
        if row.application is not None:
            earlier = first_line_of.setdefault(row.application.id, line)
            if earlier != line:
                row.problems.append(_("The same applicant is already on line %(line)s.", line=earlier))
        if row.ok and row.application is not None:
            row.input = sheet.RowInput(
                application_id=row.application.id,
                values=row.input_values,
                absent=row.absent,
                version=None if versions is None else versions.get(row.application.id, -1),
            )
        preview.rows.append(row)

    check = sheet.check_rows(call, preview.applications, preview.inputs, examiner)
    preview.stale = check.stale
    preview.check = check
    for row in preview.rows:
        if row.input is None:
            continue
        row.plan = check.plans.get(row.application.id)
        row.problems.extend(check.problems.get(row.application.id, []))
        if row.problems:
            row.input = None
    return preview


def _columns(header, by_name, preview):
    """{column index: role}: a criterion, NUMBER_COLUMN, EMAIL_COLUMN, ABSENT_COLUMN or None."""
    columns, seen = {}, set()
    for index, name in enumerate(header):
        key = _key(name)
        if not key:
            continue  # an unnamed column (a trailing delimiter, a note): ignored
        if key in seen:
            preview.file_problems.append(_("The column “%(name)s” appears twice.", name=name.strip()))
            continue
        seen.add(key)
        if key in by_name:
            if by_name[key] in columns.values():
                preview.file_problems.append(_("The column “%(name)s” appears twice.", name=name.strip()))
                continue
            columns[index] = by_name[key]
        elif key in (NUMBER_COLUMN, EMAIL_COLUMN, ABSENT_COLUMN):
            columns[index] = key
        elif key == NAME_COLUMN:
            columns[index] = None
        else:
            preview.file_problems.append(
                _(
                    "Unknown column “%(name)s”: the columns are %(number)s or %(email)s, one column per test "
                    "criterion named as the criterion, and optionally %(absent)s.",
                    name=name.strip(),
                    number=NUMBER_COLUMN,
                    email=EMAIL_COLUMN,
                    absent=ABSENT_COLUMN,
                )
            )
    if not seen & {NUMBER_COLUMN, EMAIL_COLUMN}:
        preview.file_problems.append(
            _(
                "The file needs a column “%(number)s” (the application number) or “%(email)s”.",
                number=NUMBER_COLUMN,
                email=EMAIL_COLUMN,
            )
        )
    for criterion in dict.fromkeys(by_name.values()):
        if criterion not in columns.values():
            preview.file_problems.append(_("The column for the criterion “%(name)s” is missing.", name=criterion.name))
    return columns


def _read_row(line, record, header, columns, criteria, by_id, by_email):
    row = PreviewRow(line=line)
    if len(record) > len(header) and any(cell.strip() for cell in record[len(header) :]):
        row.problems.append(_("This row has more cells than the header row has columns."))
    for index, role in columns.items():
        cell = record[index].strip() if index < len(record) else ""
        if role == NUMBER_COLUMN:
            row.number = cell
        elif role == EMAIL_COLUMN:
            row.email = _unformula(cell)
        elif role == ABSENT_COLUMN:
            row.absent_text = cell
        elif role is not None:
            row.cells[role.id] = cell

    row.application = _find_applicant(row, by_id, by_email)
    if row.application is not None and row.application.state not in sheet.SHEET_STATES:
        row.problems.append(
            _(
                "Applicant not eligible for the test: the application is “%(state)s”.",
                state=STATE_LABELS[row.application.state],
            )
        )

    for criterion in criteria:
        text = row.cells.get(criterion.id, "")
        try:
            value = sheet.parse_score(text)
        except sheet.CellError as error:
            row.problems.append(
                _("%(criterion)s: “%(value)s” — %(error)s", criterion=criterion.name, value=text, error=str(error))
            )
            continue
        if value is not None:
            row.input_values[criterion.id] = value

    answer = row.absent_text.casefold()
    if answer in YES:
        row.absent = True
    elif answer not in NO:
        row.problems.append(_("Absent: write “yes” or leave the cell empty (not “%(value)s”).", value=row.absent_text))
    return row


def _find_applicant(row, by_id, by_email):
    by_number = by_address = None
    if row.number:
        digits = row.number.lstrip("#№").strip()
        if not _plain_number(digits):
            row.problems.append(_("“%(value)s” is not an application number.", value=row.number))
            return None
        by_number = by_id.get(int(digits))
        if by_number is None:
            row.problems.append(_("Unknown applicant: this call has no application no. %(number)s.", number=digits))
            return None
    if row.email:
        by_address = by_email.get(row.email.casefold())
        if by_address is None:
            row.problems.append(_("Unknown applicant: nobody applied to this call from %(email)s.", email=row.email))
            return None
    if by_number is not None and by_address is not None and by_number.id != by_address.id:
        row.problems.append(_("The application number and the e-mail belong to different applicants."))
        return None
    if by_number is None and by_address is None:
        row.problems.append(_("Give the application number or the e-mail of the applicant."))
    return by_number or by_address


# --- the template ----------------------------------------------------------------------


def template_csv(call, applications):
    """A CSV to fill in: one row per applicant, their number, e-mail and name, and an empty
    cell per test criterion; with a BOM so that spreadsheet programs read it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [NUMBER_COLUMN, EMAIL_COLUMN, NAME_COLUMN, *(escape_cell(c.name) for c in call.test_criteria), ABSENT_COLUMN]
    )
    for application in applications:
        writer.writerow(
            [
                application.id,
                escape_cell(application.applicant.email),
                escape_cell(application.applicant.full_name_latin),
                *([""] * len(call.test_criteria)),
                "",
            ]
        )
    return "\ufeff" + buffer.getvalue()
