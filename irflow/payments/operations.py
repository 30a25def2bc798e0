"""Use cases of grant payments. Issuing the grant agreement schedules the instalments: the
first (the call's `first_instalment_percent`, 70 % by default) due before the departure, the
last without an amount or a due date.

Approving the report settles what is owed against what was paid: the grant recomputed from
the actual dates (`granted_total`) less what was actually paid is still to pay. It goes to the
unpaid instalments in order: each earlier one keeps at most its scheduled amount (lowered,
down to 0, when less is owed), the last takes the rest, due FINAL_PAYMENT_DAYS_AFTER_REPORT
days later. The last is negative (the participant pays back) only if what was paid exceeds the
grant. Without a waiting last instalment (100 % before departure) a settling one (share 0)
is added when something is left. An instalment of 0.00 is settled: nothing to pay.

The head records each transfer (paid on, the bank's reference), corrects or undoes it; the
participant is told by mail. A repayment waits until the earlier instalments are paid.
Nothing here commits: the request does."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _

from .. import events
from ..errors import Refused
from ..extensions import db
from ..grants import operations as grants
from ..grants.compute import CENT
from ..models import GrantAgreement, GrantPayment
from ..models.base import utcnow
from ..predeparture.reminders import department_today
from ..services import mail

REFERENCE_MAX = 100
# The share of an instalment added at the settlement: it holds a difference, no share.
SETTLING_SHARE = 0


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


def share_of(amount, percent):
    return (amount * percent / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


def schedule_instalments(agreement, rules, today):
    """The instalments of an agreement just issued (or issued again with a new total).

    An instalment already paid is kept as it is; the others are rewritten from the agreement's
    total. Returns the instalments in order."""
    application = agreement.application
    existing = {payment.instalment: payment for payment in instalments_of(application)}
    first = existing.get(1) or GrantPayment(application_id=application.id, instalment=1)
    if not first.paid:
        first.share_percent = rules.first_instalment_percent
        first.amount = share_of(agreement.amount, first.share_percent)
        first.due_on = first_due_on(application, today)
    db.session.add(first)
    scheduled = [first]
    last = existing.get(2)
    # The last instalment holds what the first does not: a paid first keeps its own share.
    if first.share_percent < 100:
        last = last or GrantPayment(application_id=application.id, instalment=2)
        if not last.paid:
            last.share_percent = 100 - first.share_percent
            last.amount = None
            last.due_on = None
        db.session.add(last)
        scheduled.append(last)
    elif last is not None and not last.paid:
        db.session.delete(last)
    elif last is not None:
        scheduled.append(last)
    db.session.flush()
    return scheduled


def settle_on_approval(application, ctx):
    """The workflow's follow-up of approve_report (registered by create_app)."""
    settle_instalments(application, ctx.today)


def settle_instalments(application, today):
    """On the report's approval: the unpaid instalments get what is still owed (module
    docstring), from the grant of the actual stay at the agreement's frozen rates. Without
    actual dates (never the case after a return), or when no grant can be computed (an
    agreement issued before its rates were kept with it, under rules since emptied), the
    issued total stands. Returns the last instalment, or None
    when nothing is scheduled (no grant agreement issued) or nothing is left to settle."""
    payments = instalments_of(application)
    total = granted_total(application) if payments else None
    if total is None:
        return None
    paid = sum((payment.amount for payment in payments if payment.paid), Decimal("0.00"))
    unpaid = [payment for payment in payments if not payment.paid]
    waiting = unpaid.pop() if unpaid and unpaid[-1].amount is None else None
    to_pay = total - paid
    for payment in unpaid:
        payment.amount = min(payment.amount, max(to_pay, Decimal("0.00")))
        to_pay -= payment.amount
    last = waiting or (_settling_instalment(application, payments) if to_pay else None)
    if last is not None:
        last.amount = to_pay
        last.due_on = today + timedelta(days=current_app.config["FINAL_PAYMENT_DAYS_AFTER_REPORT"])
    db.session.flush()
    return last


def _settling_instalment(application, payments):
    """The instalment added when nothing waits for the report (100 % paid before departure)."""
    settling = GrantPayment(
        application_id=application.id, instalment=payments[-1].instalment + 1, share_percent=SETTLING_SHARE
    )
    db.session.add(settling)
    return settling


def granted_total(application):
    """The grant from the actual dates (at the rates the agreement froze), else the total the
    agreement was issued with: also when a line cannot be computed (an agreement issued before
    its rates were kept with it, under rules since emptied), which would otherwise read as
    money to pay back."""
    _rules, _planned, actual = grants.grants_of(application)
    if actual is not None and not actual.problems:
        return actual.granted_total
    agreement = grants.agreement_of(application)
    return agreement.amount if agreement is not None and agreement.issued else None


# --- recording the transfers --------------------------------------------------------------------


def stale_message():
    return _(
        "This payment was changed by someone else (or in another window) after you opened the page. "
        "Nothing was saved: check the payment, then try again."
    )


def issued_on(payment):
    """The day the payment's grant agreement was issued (in the department's zone), or None."""
    issued_at = db.session.scalar(
        db.select(GrantAgreement.issued_at).where(GrantAgreement.application_id == payment.application_id)
    )
    return None if issued_at is None else department_today(issued_at)


def paid_on_problem(payment, paid_on, today):
    """Why `paid_on` cannot be the day `payment` was paid, or None."""
    if paid_on > today:
        return _("The payment date cannot be in the future.")
    issued = issued_on(payment)
    if issued is not None and paid_on < issued:
        return _(
            "The payment date cannot be before the grant agreement was issued (%(date)s).", date=format_date(issued)
        )
    return None


def no_amount_message():
    return _("This instalment has no amount yet: it is settled when the report is approved.")


def nothing_to_pay_message():
    return _("This instalment is settled with nothing to pay: there is no transfer to record.")


def unrecordable_message(payment):
    """Why no transfer can be recorded for `payment` whatever the form says, or None."""
    if payment.amount is None:
        return no_amount_message()
    if payment.amount == 0:
        return nothing_to_pay_message()
    return None


def _earlier_unpaid(payment):
    return any(
        not earlier.paid and earlier.amount
        for earlier in instalments_of(payment.application)
        if earlier.instalment < payment.instalment
    )


def _check_version(payment, version):
    if str(version or "") != str(payment.version):
        raise Refused(stale_message())


def record_payment(payment, user, version, paid_on, reference, today):
    """The head records (or corrects) the transfer of `payment`; the participant is told."""
    _check_version(payment, version)
    if unrecordable_message(payment):
        raise Refused(unrecordable_message(payment))
    if payment.amount < 0 and _earlier_unpaid(payment):
        raise Refused(_("An earlier instalment is not paid yet: record its payment first, then this repayment."))
    problem = paid_on_problem(payment, paid_on, today)
    if problem:
        raise Refused(problem)
    reference = (reference or "").strip()
    if not reference or len(reference) > REFERENCE_MAX:
        raise Refused(_("Enter the reference of the transfer (up to %(num)d characters).", num=REFERENCE_MAX))
    first_time = not payment.paid
    payment.paid_on = paid_on
    payment.reference = reference
    payment.recorded_by = user
    payment.recorded_at = utcnow()
    _log(
        "payment_recorded",
        payment,
        user,
        amount=str(payment.amount),
        paid_on=paid_on.isoformat(),
        reference=reference,
        corrected=not first_time,
    )
    db.session.flush()
    queue_payment_notice(payment, corrected=not first_time)
    return payment


def _log(kind, payment, user, **details):
    """The accounts' trail in the event log: who recorded or undid which transfer."""
    events.record(
        kind,
        actor=user,
        user=payment.application.applicant,
        details={"application": payment.application_id, "instalment": payment.instalment, **details},
    )


def undo_payment(payment, user, version):
    """The head takes back a payment recorded by mistake: the instalment is unpaid again."""
    _check_version(payment, version)
    if not payment.paid:
        raise Refused(_("This instalment is not recorded as paid."))
    _log("payment_undone", payment, user, paid_on=payment.paid_on.isoformat(), reference=payment.reference)
    payment.paid_on = None
    payment.reference = None
    payment.recorded_by = user
    payment.recorded_at = utcnow()
    db.session.flush()
    return payment


def queue_payment_notice(payment, corrected=False):
    application = payment.application
    repayment = payment.amount < 0
    return mail.queue_for_user(
        application.applicant,
        "emails/payment_recorded.txt",
        lambda: (
            _("Application %(number)s: your repayment of the grant is received", number=application.id)
            if repayment
            else _("Application %(number)s: an instalment of your grant is paid", number=application.id)
        ),
        application=application,
        payment=payment,
        corrected=corrected,
        repayment=repayment,
    )
