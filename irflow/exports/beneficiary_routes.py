"""The head's Beneficiary Module export (beneficiary_module.py):

    GET /manage/exports/beneficiary-module?call=<id> | ?year=2026-2027
        exports.beneficiary_module: choose a call or an academic year; the number of
        mobilities, and either the missing mandatory values per participant or the download
    GET /manage/exports/beneficiary-module.csv?call=<id> | ?year=2026-2027
        exports.beneficiary_module_csv: the file, only when nothing mandatory is missing;
        otherwise 409 with the page listing what is missing (never an incomplete file)

The head (and admin) only: the file carries the participants' fewer-opportunities and
special-needs flags, which the EU partner reports in the Beneficiary Module.
"""

from flask import Response, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField

from .. import events
from ..extensions import db
from ..forms import MAX_INTEGER, FlaskForm
from ..models import Call
from ..services.spreadsheets import csv_stream
from ..web.access import role_required
from ..web.forms import int_or_none, options
from . import bp
from .beneficiary_module import COLUMNS, beneficiary_export
from .routes import _download_headers, _stored_academic_year


class ChoiceForm(FlaskForm):
    """GET choice of what to export: no CSRF, it changes nothing."""

    class Meta:
        csrf = False

    call = SelectField(_l("Call"), coerce=int_or_none, choices=[], validate_choice=False)
    year = SelectField(_l("Academic year"), choices=[], validate_choice=False)

    def __init__(self, calls, years, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.call.choices = options([("", _l("— choose a call —"))] + [(call.id, call.title) for call in calls])
        self.year.choices = options(
            [("", _l("— choose a year —"))] + [(year.replace("/", "-"), year) for year in years]
        )


def _choice():
    """(call or None, stored academic year or None, link arguments) from the query string."""
    call_id = int_or_none(request.args.get("call"))
    if call_id is not None:
        if not 1 <= call_id <= MAX_INTEGER:  # no such call; the database would refuse the number
            abort(404)
        return db.get_or_404(Call, call_id), None, {"call": call_id}
    year = request.args.get("year")
    if year:
        return None, _stored_academic_year(year), {"year": year}
    return None, None, {}


def _page(call, academic_year, args, export=None, status=200):
    calls = db.session.scalars(db.select(Call).order_by(Call.opens_at.desc(), Call.id.desc())).all()
    years = sorted({call.academic_year for call in calls}, reverse=True)
    form = ChoiceForm(calls, years, formdata=None, call=call.id if call else None, year=args.get("year", ""))
    if export is None and (call is not None or academic_year is not None):
        export = beneficiary_export(call_id=call.id if call else None, academic_year=academic_year)
    page = render_template(
        "exports/beneficiary_module.html",
        form=form,
        call=call,
        academic_year=academic_year,
        export=export,
        args=args,
        columns=COLUMNS,
    )
    return page, status


@bp.route("/manage/exports/beneficiary-module")
@role_required("head")
def beneficiary_module():
    return _page(*_choice())


@bp.route("/manage/exports/beneficiary-module.csv")
@role_required("head")
def beneficiary_module_csv():
    call, academic_year, args = _choice()
    if call is None and academic_year is None:
        abort(404)
    export = beneficiary_export(call_id=call.id if call else None, academic_year=academic_year)
    if not export.complete:
        # Never an incomplete file: the page says what is missing (a response >= 400 rolls back).
        return _page(call, academic_year, args, export, status=409)
    which = {"call": call.id} if call else {"academic_year": academic_year}
    events.record(
        "export",
        actor=current_user._get_current_object(),
        details={"list": "beneficiary_module", **which, "format": "csv", "rows": len(export.mobilities)},
    )
    name = f"beneficiary-module-call-{call.id}" if call else f"beneficiary-module-{args['year']}"
    header = [column.header for column in COLUMNS]
    return Response(csv_stream(header, export.rows()), mimetype="text/csv", headers=_download_headers(f"{name}.csv"))
