"""Downloads of the selected participants: one call, or every call of an academic year.

    GET /calls/<call_id>/export/selected.csv     exports.call_csv
    GET /calls/<call_id>/export/selected.xlsx    exports.call_xlsx
    GET /exports/<2026-2027>/selected.csv        exports.year_csv
    GET /exports/<2026-2027>/selected.xlsx       exports.year_xlsx

The head (and admin) export everyone, a coordinator the participants of the faculties
they coordinate; anyone else gets 403, an anonymous visitor the login page. The rows and
their scope are in queries.py, the file formats in irflow/services/spreadsheets.py.
Both formats stream: CSV is written while it is sent, XLSX is written to a temporary file
first (a zip file cannot be sent before it is finished) and sent from there in chunks.
"""

import re

from flask import Response, abort
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..models import Call
from ..services.spreadsheets import (
    SELECTED_PARTICIPANT_COLUMNS,
    XLSX_MIMETYPE,
    csv_stream,
    headers,
    widths,
    xlsx_file,
)
from ..web.access import role_required
from . import bp
from .queries import export_scope, selected_participant_rows

# "2026-2027" in the address (a slash cannot be in a path segment), "2026/2027" stored.
ACADEMIC_YEAR = re.compile(r"([0-9]{4})-([0-9]{4})")


def _scope_or_403():
    scope = export_scope(current_user)
    if scope is None:
        abort(403)
    return scope


def _stored_academic_year(year):
    """'2026-2027' -> '2026/2027'; anything else (also '2026-2028') is a 404."""
    match = ACADEMIC_YEAR.fullmatch(year)
    if match is None or int(match.group(2)) != int(match.group(1)) + 1:
        abort(404)
    return f"{match.group(1)}/{match.group(2)}"


def _download_headers(filename):
    return {
        # Built from digits and fixed words only, so no quoting or encoding is needed.
        "Content-Disposition": f'attachment; filename="{filename}"',
        # Personal data: not kept by browsers or proxies.
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }


def _csv_response(rows, filename):
    header = headers(SELECTED_PARTICIPANT_COLUMNS)
    # Written while it is sent; the rows bring their own database connection (queries.py).
    return Response(csv_stream(header, rows), mimetype="text/csv", headers=_download_headers(filename))


def _xlsx_response(rows, filename):
    download = xlsx_file(
        headers(SELECTED_PARTICIPANT_COLUMNS), rows, _("Selected participants"), widths(SELECTED_PARTICIPANT_COLUMNS)
    )
    response = Response(download, mimetype=XLSX_MIMETYPE, headers=_download_headers(filename))
    response.content_length = download.size
    return response


def _call_rows(call_id):
    scope = _scope_or_403()
    call = db.get_or_404(Call, call_id)
    return selected_participant_rows(scope, call_id=call.id), f"selected-call-{call.id}"


def _year_rows(year):
    scope = _scope_or_403()
    academic_year = _stored_academic_year(year)
    return selected_participant_rows(scope, academic_year=academic_year), f"selected-{year}"


@bp.route("/calls/<int:call_id>/export/selected.csv")
@role_required("head", "coordinator")
def call_csv(call_id):
    rows, name = _call_rows(call_id)
    return _csv_response(rows, f"{name}.csv")


@bp.route("/calls/<int:call_id>/export/selected.xlsx")
@role_required("head", "coordinator")
def call_xlsx(call_id):
    rows, name = _call_rows(call_id)
    return _xlsx_response(rows, f"{name}.xlsx")


@bp.route("/exports/<year>/selected.csv")
@role_required("head", "coordinator")
def year_csv(year):
    rows, name = _year_rows(year)
    return _csv_response(rows, f"{name}.csv")


@bp.route("/exports/<year>/selected.xlsx")
@role_required("head", "coordinator")
def year_xlsx(year):
    rows, name = _year_rows(year)
    return _xlsx_response(rows, f"{name}.xlsx")
