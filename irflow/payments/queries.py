"""The list of instalments as queries: one for a page of rows, one for the count and the
totals, one iterated in batches for the export.

States of an instalment, as the list filters them:
- waiting: no amount yet (the last instalment before the report is approved);
- due: unpaid, due today or later; overdue: unpaid, due before today;
- paid: a payment is recorded;
- settled: unpaid with 0.00, nothing to pay (owed and paid are equal): never due, not
  recordable, listed under "all" only.
Unpaid instalments of applications that ended without a stay (withdrawn, cancelled, ...)
are left out: nothing is due there any more."""

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Application, Call, CallPlace, GrantAgreement, GrantPayment, Partner, User

PAYMENT_STATES = ("open", "overdue", "waiting", "paid", "all")
DEFAULT_STATE = "open"
# Final states after which nothing more is paid (a completed stay still is).
ENDED_STATES = ("ineligible", "absent", "not_selected", "declined", "withdrawn", "host_rejected", "cancelled")


def state_of(amount, due_on, paid_on, today):
    if paid_on is not None:
        return "paid"
    if amount is None:
        return "waiting"
    if amount == 0:
        return "settled"
    return "overdue" if due_on is not None and due_on < today else "due"


def _state_clause(state, today):
    unpaid = GrantPayment.paid_on.is_(None)
    waiting = sa.and_(unpaid, GrantPayment.amount.is_(None))
    open_ = sa.and_(unpaid, GrantPayment.amount.is_not(None), GrantPayment.amount != 0)
    return {
        "open": open_,
        "overdue": sa.and_(open_, GrantPayment.due_on < today),
        "waiting": waiting,
        "paid": GrantPayment.paid_on.is_not(None),
        "all": sa.true(),
    }[state]


def filtered(query, scope, today, call_id=None, state=DEFAULT_STATE, due_until=None):
    """`query` (over GrantPayment joined to Application) narrowed to the filters."""
    query = query.where(
        scope,
        _state_clause(state, today),
        sa.or_(GrantPayment.paid_on.is_not(None), Application.state.not_in(ENDED_STATES)),
    )
    if call_id is not None:
        query = query.where(Application.call_id == call_id)
    if due_until is not None:
        query = query.where(GrantPayment.due_on <= due_until)
    return query


def _instalment_count():
    others = aliased(GrantPayment)
    return (
        sa.select(sa.func.count(others.id))
        .where(others.application_id == GrantPayment.application_id)
        .scalar_subquery()
        .label("instalments")
    )


def rows_query(scope, today, **filters):
    """Every instalment of the list with what a row shows, in the order of the list: by due
    date (waiting ones last), then the participant's Latin name."""
    query = (
        sa.select(
            GrantPayment.id,
            GrantPayment.version,
            GrantPayment.application_id,
            Application.applicant_id,
            GrantPayment.instalment,
            _instalment_count(),
            GrantPayment.share_percent,
            GrantPayment.amount,
            GrantPayment.due_on,
            GrantPayment.paid_on,
            GrantPayment.reference,
            User.full_name_latin,
            User.full_name_native,
            Call.title.label("call_title"),
            Partner.name.label("host"),
            GrantAgreement.number.label("agreement_number"),
        )
        .select_from(GrantPayment)
        .join(Application, Application.id == GrantPayment.application_id)
        .join(User, User.id == Application.applicant_id)
        .join(Call, Call.id == Application.call_id)
        .outerjoin(CallPlace, CallPlace.id == Application.allocated_place_id)
        .outerjoin(Partner, Partner.id == CallPlace.partner_id)
        .outerjoin(GrantAgreement, GrantAgreement.application_id == Application.id)
        .order_by(
            GrantPayment.due_on.is_(None),
            GrantPayment.due_on,
            User.full_name_latin,
            GrantPayment.application_id,
            GrantPayment.instalment,
        )
    )
    return filtered(query, scope, today, **filters)


def totals_query(scope, today, **filters):
    """(rows, to pay, to be paid back) of the filtered list: the unpaid amounts only."""
    unpaid_amount = sa.case((GrantPayment.paid_on.is_(None), GrantPayment.amount), else_=None)
    query = (
        sa.select(
            sa.func.count(GrantPayment.id),
            sa.func.coalesce(sa.func.sum(sa.case((unpaid_amount > 0, unpaid_amount), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((unpaid_amount < 0, -unpaid_amount), else_=0)), 0),
        )
        .select_from(GrantPayment)
        .join(Application, Application.id == GrantPayment.application_id)
    )
    return filtered(query, scope, today, **filters)


def payment_in_scope(payment_id, scope):
    """The instalment `payment_id` if `scope` reaches its application, else None."""
    return db.session.scalar(
        sa.select(GrantPayment)
        .join(Application, Application.id == GrantPayment.application_id)
        .where(GrantPayment.id == payment_id, scope)
    )
