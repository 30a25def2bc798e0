"""Downloads of the selected participants: one call, or every call of an academic year.

    GET /calls/<call_id>/export/selected.csv     exports.call_csv
    GET /calls/<call_id>/export/selected.xlsx    exports.call_xlsx
    GET /exports/<2026-2027>/selected.csv        exports.year_csv
    GET /exports/<2026-2027>/selected.xlsx       exports.year_xlsx
    GET /calls/<call_id>/hosts/<partner_id>/nominations.csv    exports.host_nominations_csv
    GET /calls/<call_id>/hosts/<partner_id>/nominations.xlsx   exports.host_nominations_xlsx
        the participants nominated to that host in that call, with the data the host
        asks for, in English (host_nominations.py); 404 when none of them is in the
        requester's scope (a coordinator of another faculty sees no such list)

The head (and admin) export everyone, a coordinator the participants of the faculties
they coordinate; anyone else gets 403, an anonymous visitor the login page. The rows and
their scope are in queries.py, the file formats in irflow/services/spreadsheets.py.
Both formats stream: CSV is written while it is sent, XLSX is written to a temporary file
first (a zip file cannot be sent before it is finished) and sent from there in chunks.
"""

import re

from flask import Response, abort
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import events
from ..extensions import db
from ..models import Call, Partner
from ..services.spreadsheets import (
    NOMINATION_COLUMNS,
    SELECTED_PARTICIPANT_COLUMNS,
    XLSX_MIMETYPE,
    csv_stream,
    headers,
    widths,
    xlsx_file,
)
from ..web.access import role_required
from . import bp
from .host_nominations import count_nominations, nomination_rows
from .queries import count_selected_participants, export_scope, selected_participant_rows

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


def _csv_response(rows, filename, columns=SELECTED_PARTICIPANT_COLUMNS):
    header = headers(columns)
    # Written while it is sent; the rows bring their own database connection (queries.py).
    return Response(csv_stream(header, rows), mimetype="text/csv", headers=_download_headers(filename))


def _xlsx_response(rows, filename, columns=SELECTED_PARTICIPANT_COLUMNS, sheet_title=None):
    download = xlsx_file(headers(columns), rows, sheet_title or _("Selected participants"), widths(columns))
    response = Response(download, mimetype=XLSX_MIMETYPE, headers=_download_headers(filename))
    response.content_length = download.size
    return response


def _record_export(scope, file_format, which):
    """The export in the security log: who (the actor), which list, the format, how many rows.
    The rows are streamed later over a connection of their own, so they cannot be counted as
    they go: the count is a COUNT of the same query run now, in the request's transaction
    (a participant changed in the moment between the two is the only possible difference)."""
    rows = count_selected_participants(scope, **which)
    list_details = {"call": which["call_id"]} if "call_id" in which else {"academic_year": which["academic_year"]}
    events.record(
        "export",
        actor=current_user._get_current_object(),
        details={"list": "selected_participants", **list_details, "format": file_format, "rows": rows},
    )


def _call_rows(call_id, file_format):
    scope = _scope_or_403()
    call = db.get_or_404(Call, call_id)
    _record_export(scope, file_format, {"call_id": call.id})
    return selected_participant_rows(scope, call_id=call.id), f"selected-call-{call.id}"


def _year_rows(year, file_format):
    scope = _scope_or_403()
    academic_year = _stored_academic_year(year)
    _record_export(scope, file_format, {"academic_year": academic_year})
    return selected_participant_rows(scope, academic_year=academic_year), f"selected-{year}"


@bp.route("/calls/<int:call_id>/export/selected.csv")
@role_required("head", "coordinator")
def call_csv(call_id):
    rows, name = _call_rows(call_id, "csv")
    return _csv_response(rows, f"{name}.csv")


@bp.route("/calls/<int:call_id>/export/selected.xlsx")
@role_required("head", "coordinator")
def call_xlsx(call_id):
    rows, name = _call_rows(call_id, "xlsx")
    return _xlsx_response(rows, f"{name}.xlsx")


@bp.route("/exports/<year>/selected.csv")
@role_required("head", "coordinator")
def year_csv(year):
    rows, name = _year_rows(year, "csv")
    return _csv_response(rows, f"{name}.csv")


@bp.route("/exports/<year>/selected.xlsx")
@role_required("head", "coordinator")
def year_xlsx(year):
    rows, name = _year_rows(year, "xlsx")
    return _xlsx_response(rows, f"{name}.xlsx")


def _host_nomination_rows(call_id, partner_id, file_format):
    scope = _scope_or_403()
    call = db.get_or_404(Call, call_id)
    host = db.get_or_404(Partner, partner_id)
    rows = count_nominations(scope, call.id, host.id)
    if not rows:
        abort(404)
    events.record(
        "export",
        actor=current_user._get_current_object(),
        details={"list": "host_nominations", "call": call.id, "partner": host.id, "format": file_format, "rows": rows},
    )
    return nomination_rows(scope, call.id, host.id), f"nominations-call-{call.id}-host-{host.id}"


@bp.route("/calls/<int:call_id>/hosts/<int:partner_id>/nominations.csv")
@role_required("head", "coordinator")
def host_nominations_csv(call_id, partner_id):
    rows, name = _host_nomination_rows(call_id, partner_id, "csv")
    # For the host office: headers in English, as the rows.
    with force_locale("en"):
        return _csv_response(rows, f"{name}.csv", NOMINATION_COLUMNS)


@bp.route("/calls/<int:call_id>/hosts/<int:partner_id>/nominations.xlsx")
@role_required("head", "coordinator")
def host_nominations_xlsx(call_id, partner_id):
    rows, name = _host_nomination_rows(call_id, partner_id, "xlsx")
    with force_locale("en"):
        return _xlsx_response(rows, f"{name}.xlsx", NOMINATION_COLUMNS, _("Nominations"))
