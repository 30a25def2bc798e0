"""Use cases of grant payments. Issuing the grant agreement schedules the instalments: the
first (the call's `first_instalment_percent`, 70 % by default) due before the departure, the
last without an amount or a due date. Approving the report settles the last one: the grant
recomputed from the actual dates, minus what the earlier instalments hold, due
FINAL_PAYMENT_DAYS_AFTER_REPORT days later (negative: the participant pays back)."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app

from ..extensions import db
from ..grants import operations as grants
from ..grants.compute import CENT
from ..models import GrantPayment


def instalments_of(application):
    return list(
        db.session.scalars(
            db.select(GrantPayment)
            .where(GrantPayment.application_id == application.id)
            .order_by(GrantPayment.instalment)
        )
    )


def first_due_on(application, today):
    """FIRST_PAYMENT_DAYS_BEFORE_DEPARTURE days before the planned departure, never before today."""
    if application.planned_start is None:
        return today
    due = application.planned_start - timedelta(days=current_app.config["FIRST_PAYMENT_DAYS_BEFORE_DEPARTURE"])
    return max(due, today)


def schedule_instalments(agreement, rules, today):
    """The instalments of an agreement just issued (or issued again with a new total).

    An instalment already paid is kept as it is; the others are rewritten from the agreement's
    total. Returns the instalments in order."""
    application = agreement.application
    first_percent = rules.first_instalment_percent
    existing = {payment.instalment: payment for payment in instalments_of(application)}
    first = existing.get(1) or GrantPayment(application_id=application.id, instalment=1)
    if not first.paid:
        first.share_percent = first_percent
        first.amount = (agreement.amount * first_percent / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)
        first.due_on = first_due_on(application, today)
    db.session.add(first)
    scheduled = [first]
    last = existing.get(2)
    if first_percent < 100:
        last = last or GrantPayment(application_id=application.id, instalment=2)
        if not last.paid:
            last.share_percent = 100 - first_percent
            last.amount = None
            last.due_on = None
        db.session.add(last)
        scheduled.append(last)
    elif last is not None and not last.paid:
        db.session.delete(last)
    db.session.flush()
    return scheduled


def settle_last_instalment(application, today):
    """On the report's approval: the last instalment gets its amount and due date.

    Its amount is the granted total from the actual dates (the planned ones if the actual are
    missing) less what the earlier instalments hold. Nothing happens without a scheduled last
    instalment (no grant agreement issued, or 100 % paid before departure) or once it is paid."""
    payments = instalments_of(application)
    if len(payments) < 2 or payments[-1].paid:
        return None
    last = payments[-1]
    _rules, planned, actual = grants.grants_of(application)
    grant = actual or planned
    if grant is None:
        return None
    earlier = sum((payment.amount or Decimal("0.00") for payment in payments[:-1]), Decimal("0.00"))
    last.amount = grant.granted_total - earlier
    last.due_on = today + timedelta(days=current_app.config["FINAL_PAYMENT_DAYS_AFTER_REPORT"])
    db.session.flush()
    return last
