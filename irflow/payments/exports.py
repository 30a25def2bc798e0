"""The export of the filtered list of payments, CSV or XLSX, streamed as the other exports
(irflow/exports/routes.py): headers in the requester's language, amounts as numbers.
Columns in this order (PAYMENT_COLUMNS in irflow/services/spreadsheets.py): No, Application,
Participant (Latin), Participant, Call, Host institution, Grant agreement, Instalment,
Of, Share %, Amount (negative: to pay back), Due on, State, Paid on, Reference."""

from flask_babel import gettext as _
from flask_login import current_user

from .. import events
from ..exports.queries import BATCH_SIZE
from ..exports.routes import _csv_response, _xlsx_response
from ..extensions import db
from ..services.spreadsheets import PAYMENT_COLUMNS
from .queries import rows_query, state_of, totals_query

STATE_LABELS = {
    "waiting": lambda: _("Waiting for the report"),
    "due": lambda: _("Due"),
    "overdue": lambda: _("Overdue"),
    "paid": lambda: _("Paid"),
    "settled": lambda: _("Settled: nothing to pay"),
}


def payment_rows(scope, today, filters, file_format):
    """The rows of the export, read later over their own connection; the export is logged now."""
    count = db.session.execute(totals_query(scope, today, **filters)).one()[0]
    events.record(
        "export",
        actor=current_user._get_current_object(),
        details={"list": "payments", "format": file_format, "rows": count, **_logged(filters)},
    )
    labels = {state: label() for state, label in STATE_LABELS.items()}
    return _rows(db.engine, rows_query(scope, today, **filters), labels, today)


def _logged(filters):
    return {key: str(value) for key, value in filters.items() if value is not None}


def _rows(engine, query, labels, today):
    with engine.connect() as connection:
        result = connection.execute(query.execution_options(yield_per=BATCH_SIZE))
        for number, row in enumerate(result, 1):
            yield (
                number,
                row.application_id,
                row.full_name_latin,
                row.full_name_native,
                row.call_title,
                row.host,
                row.agreement_number,
                row.instalment,
                row.instalments,
                row.share_percent,
                row.amount,
                row.due_on,
                labels[state_of(row.amount, row.due_on, row.paid_on, today)],
                row.paid_on,
                row.reference,
            )


def csv_response(rows, name):
    return _csv_response(rows, f"{name}.csv", PAYMENT_COLUMNS)


def xlsx_response(rows, name):
    return _xlsx_response(rows, f"{name}.xlsx", PAYMENT_COLUMNS, _("Payments"))
