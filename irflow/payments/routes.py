"""The head's list of grant payments.

GET  /payments                 one row per instalment, filtered and paged, with the totals
GET  /payments/export.csv      the filtered list (all pages), streamed; also .xlsx
POST /payments/<id>            record (or correct) the transfer of an instalment: the head
GET  /payments/<id>/undo       confirm taking back a recorded payment; POST does it

The head sees every instalment; a coordinator those of their faculties, read-only
(policy.py). The filters ride along in the query string, also of the POST actions."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination

from .. import web
from ..errors import Refused
from ..extensions import db
from ..models import Application, Call
from ..models.base import utcnow
from ..predeparture.reminders import department_today
from ..web.access import allowed_if
from ..web.links import row_link, with_query
from . import bp, exports, operations, policy
from .forms import PaymentFilterForm, PaymentForm, UndoForm
from .queries import payment_in_scope, rows_query, state_of, totals_query

PAGE_SIZE = 50


def _today():
    return department_today(utcnow())


def _viewer():
    return current_user._get_current_object()


class PaymentPage(Pagination):
    """A page of the list, with the count the totals query already made."""

    def __init__(self, query, page, total):
        super().__init__(
            page=page, per_page=PAGE_SIZE, max_per_page=PAGE_SIZE, error_out=False, query=query, total=total
        )

    def _query_items(self):
        query = self._query_args["query"].limit(self.per_page).offset((self.page - 1) * self.per_page)
        return db.session.execute(query).all()

    def _query_count(self):
        return self._query_args["total"]


def filter_form(args):
    scope = policy.payments_scope(current_user)
    calls = db.session.execute(
        db.select(Call.id, Call.title, Call.academic_year)
        .where(Call.id.in_(db.select(Application.call_id).where(scope)))
        .order_by(Call.opens_at.desc(), Call.id.desc())
    ).all()
    return PaymentFilterForm(args, calls=calls)


@bp.route("/payments")
@allowed_if(policy.may_see_payments)
def index():
    return _render_list()


def _render_list(failed=None, form=None, conflict=None, status=200):
    """The list; `failed` is the id of the instalment whose `form` was refused."""
    filters_form = filter_form(request.args)
    filters, page_number, ignored = filters_form.filter_values()
    today = _today()
    scope = policy.payments_scope(current_user)
    count, to_pay, to_pay_back = db.session.execute(totals_query(scope, today, **filters)).one()
    page = PaymentPage(rows_query(scope, today, **filters), page_number, count)
    list_path = url_for("payments.index")
    args = filters_form.link_args(page=page.page if page.page > 1 else None)
    return render_template(
        "payments/index.html",
        form=filters_form,
        page=page,
        rows=[(row, state_of(row.amount, row.due_on, row.paid_on, today)) for row in page.items],
        totals={"count": count, "to_pay": to_pay, "to_pay_back": to_pay_back},
        ignored=ignored,
        may_record=lambda row: policy.may_record(_viewer(), row),
        failed=failed,
        failed_form=form,
        conflict=conflict,
        today=today,
        page_link=lambda number: with_query(list_path, filters_form.link_args(page=number)),
        detail_link=row_link("applications.detail", "id"),
        record_link=with_query(row_link("payments.record", "id"), args),
        undo_link=with_query(row_link("payments.undo", "id"), args),
        export_links={
            kind: with_query(url_for(f"payments.export_{kind}"), filters_form.link_args()) for kind in ("csv", "xlsx")
        },
    ), status


def _payment_or_404(id):
    payment = payment_in_scope(id, policy.payments_scope(current_user))
    if payment is None:
        abort(404)
    return payment


def _recordable_or_403(id):
    """The instalment `id` if the user may record its payments (never on their own grant)."""
    payment = _payment_or_404(id)
    if not policy.may_record(_viewer(), payment.application):
        abort(403)
    return payment


def _back_to_list(anchor=None):
    return redirect(url_for("payments.index", **_list_args(), _anchor=anchor))


def _list_args():
    form = filter_form(request.args)
    form.filter_values()
    return form.link_args(page=form.page.data if form.page.data and form.page.data > 1 else None)


@bp.route("/payments/<int:id>", methods=["POST"])
@allowed_if(policy.may_record)
def record(id):
    payment = _recordable_or_403(id)
    form = PaymentForm(prefix=f"p{payment.id}")
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _render_list(failed=payment.id, form=form, status=400)
    if operations.unrecordable_message(payment):
        return _render_list(failed=payment.id, form=form, conflict=operations.unrecordable_message(payment), status=400)
    if str(form.version.data) != str(payment.version):
        return _render_list(failed=payment.id, form=form, conflict=operations.stale_message(), status=409)
    problem = operations.paid_on_problem(payment, form.paid_on.data, _today())
    if problem:
        form.paid_on.errors.append(problem)
        return _render_list(failed=payment.id, form=form, status=400)
    web.when_refused(lambda error: _render_list(failed=payment.id, form=form, conflict=_message(error), status=409))
    corrected = payment.paid
    operations.record_payment(payment, _viewer(), form.version.data, form.paid_on.data, form.reference.data, _today())
    flash(
        _("The correction is saved.") if corrected else _("The payment is recorded; the participant is told by mail."),
        "success",
    )
    return _back_to_list(f"payment-{payment.id}")


def _message(error):
    """What a refusal says: its own message, or "changed by someone else" for a stale write."""
    return error.message if isinstance(error, Refused) else operations.stale_message()


@bp.route("/payments/<int:id>/undo", methods=["GET", "POST"])
@allowed_if(policy.may_record)
def undo(id):
    payment = _recordable_or_403(id)
    form = UndoForm()

    def page(conflict=None, status=200):
        return render_template(
            "payments/undo.html",
            payment=payment,
            form=form,
            conflict=conflict,
            list_args=_list_args(),
            total=len(operations.instalments_of(payment.application)),
        ), status

    if request.method == "GET":
        if not payment.paid:
            return _back_to_list(f"payment-{payment.id}")
        return page()
    if not form.validate_on_submit():
        abort(400)
    web.when_refused(lambda error: page(conflict=_message(error), status=409))
    operations.undo_payment(payment, _viewer(), form.version.data)
    flash(_("The payment is taken back: the instalment is unpaid again."), "success")
    return _back_to_list(f"payment-{payment.id}")


@bp.route("/payments/export.csv")
@allowed_if(policy.may_see_payments)
def export_csv():
    return exports.csv_response(*_export_rows("csv"))


@bp.route("/payments/export.xlsx")
@allowed_if(policy.may_see_payments)
def export_xlsx():
    return exports.xlsx_response(*_export_rows("xlsx"))


def _export_rows(file_format):
    form = filter_form(request.args)
    filters, _page, _ignored = form.filter_values()
    today = _today()
    scope = policy.payments_scope(current_user)
    return exports.payment_rows(scope, today, filters, file_format), f"payments-{today.isoformat()}"
