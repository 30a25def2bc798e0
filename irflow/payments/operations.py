"""Use cases of grant payments. Issuing the grant agreement schedules the instalments: the
first (the call's `first_instalment_percent`, 70 % by default) due before the departure, the
last without an amount or a due date. Approving the report settles the last one: the grant
recomputed from the actual dates, minus what the earlier instalments hold, due
FINAL_PAYMENT_DAYS_AFTER_REPORT days later (negative: the participant pays back).

The head records each transfer (paid on, the bank's reference), corrects or undoes it; the
participant is told by mail. Nothing here commits: the request does."""

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
    settle_last_instalment(application, ctx.today)


def settle_last_instalment(application, today):
    """On the report's approval: the last instalment gets its amount and due date.

    Its amount is the granted total from the actual dates less what the earlier instalments
    hold; without actual dates (never the case after a return), or with rules that no longer
    compute every line, the issued total stands.
    Nothing happens without a scheduled last instalment (no grant agreement issued, or 100 %
    paid before departure) or once it is paid."""
    payments = instalments_of(application)
    if len(payments) < 2 or payments[-1].paid:
        return None
    last = payments[-1]
    total = granted_total(application)
    if total is None:
        return None
    earlier = sum((payment.amount or Decimal("0.00") for payment in payments[:-1]), Decimal("0.00"))
    last.amount = total - earlier
    last.due_on = today + timedelta(days=current_app.config["FINAL_PAYMENT_DAYS_AFTER_REPORT"])
    db.session.flush()
    return last


def granted_total(application):
    """The grant from the actual dates, else the total the agreement was issued with: also
    when the rules can no longer compute a line (a country's group or a band's amount removed
    since the issue), which would otherwise read as money to pay back."""
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


def _check_version(payment, version):
    if str(version or "") != str(payment.version):
        raise Refused(stale_message())


def record_payment(payment, user, version, paid_on, reference, today):
    """The head records (or corrects) the transfer of `payment`; the participant is told."""
    _check_version(payment, version)
    if payment.amount is None:
        raise Refused(no_amount_message())
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
