"""The score sheet's fields, and the two steps of the CSV import.

The sheet has one input per applicant and test criterion, so its fields are named by ids
(`score-<application>-<criterion>`, `absent-<application>`, `version-<application>`) and
read here into sheet.RowInput rows, with an error per cell that is not a score.
"""

import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField

from ..forms import FlaskForm
from .sheet import CellError, RowInput, parse_score

VERSION_FIELD = re.compile(r"^version-(\d{1,18})$")
TICKED = {"y", "yes", "on", "1", "true"}


def score_name(application_id, criterion_id):
    return f"score-{application_id}-{criterion_id}"


def absent_name(application_id):
    return f"absent-{application_id}"


def version_name(application_id):
    return f"version-{application_id}"


def _version(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        # Unreadable: can match no version, so a row that changes something is refused as stale.
        return -1


@dataclass
class SheetPost:
    """A posted sheet: the rows, what was typed (shown again on any error) and cell errors."""

    rows: list = field(default_factory=list)
    typed: dict = field(default_factory=dict)  # (application id, criterion id) -> text
    absent: set = field(default_factory=set)  # application ids ticked absent
    versions: dict = field(default_factory=dict)  # application id -> version posted
    cell_errors: dict = field(default_factory=dict)  # (application id, criterion id) -> message

    @classmethod
    def read(cls, formdata, test_criteria):
        post = cls()
        for name in formdata:
            match = VERSION_FIELD.match(name)
            if not match:
                continue
            application_id = int(match.group(1))
            version = _version(formdata.get(name))
            post.versions[application_id] = version
            row = RowInput(
                application_id=application_id,
                version=version,
                absent=(formdata.get(absent_name(application_id)) or "").strip().lower() in TICKED,
            )
            if row.absent:
                post.absent.add(application_id)
            for criterion in test_criteria:
                cell = score_name(application_id, criterion.id)
                if cell not in formdata:
                    continue  # not on the form (a locked row): left as it is
                text = formdata.get(cell) or ""
                post.typed[(application_id, criterion.id)] = text
                try:
                    row.values[criterion.id] = parse_score(text)
                except CellError as error:
                    post.cell_errors[(application_id, criterion.id)] = str(error)
            post.rows.append(row)
        return post


class ImportUploadForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(message=_l("Choose a CSV file to upload."))],
        description=_l("UTF-8 text, commas or semicolons, with a header row."),
    )


class ImportConfirmForm(FlaskForm):
    """The checked file travels back with the confirmation and is checked again there."""

    content = HiddenField()
    versions = HiddenField()
    filename = HiddenField()
