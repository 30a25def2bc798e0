"""What a selected applicant is offered, what they see of their result, and lapsed offers.

`offer_for` and `result_for` feed the offer and result panels of the application page
(exposed to templates by routes.py). `expire_offers` is run by `flask --app wsgi
expire-offers` (cli.py): it declines, as the system, every offer whose deadline has
passed; the engine then gives each freed place to the next waitlisted applicant who chose
that host. One commit per application: a failure leaves the others done.
"""

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import Application
from ..models.base import utcnow
from ..workflow import WorkflowError, fire
from ..workflow.allocation import score_breakdown


@dataclass
class Offer:
    place: object
    partner: object
    months: int
    deadline: object  # aware UTC datetime, or None
    lapsed: bool


def offer_for(application, now=None):
    """The place `application` is offered, while it is selected; else None."""
    if application.state != "selected" or application.allocated_place is None:
        return None
    now = now or utcnow()
    place = application.allocated_place
    deadline = application.offer_deadline
    return Offer(
        place=place,
        partner=place.partner,
        months=place.months,
        deadline=deadline,
        lapsed=deadline is not None and now > deadline,
    )


@dataclass
class Result:
    total: Decimal
    rank: int | None
    breakdown: list  # [(criterion, weight, value or None)]
    grade: object = None  # (average grade, scale) when a criterion is the average grade


def result_for(application, viewer):
    """The total, breakdown and rank of `application` as `viewer` may see them, or None.

    The applicant sees their own only once the head has confirmed the selection; staff who
    can open the application page see it as soon as there is a total.
    """
    if application.total_score is None or viewer is None or not getattr(viewer, "is_authenticated", False):
        return None
    if application.applicant_id == viewer.id and application.call.selection_confirmed_at is None:
        return None
    breakdown = [(criterion, Decimal(criterion.weight), value) for criterion, value in score_breakdown(application)]
    grade = None
    if (
        any(criterion.source == "average_grade" for criterion, _weight, _value in breakdown)
        and application.average_grade is not None
    ):
        grade = (application.average_grade, application.call.grade_scale)
    return Result(total=application.total_score, rank=application.rank, breakdown=breakdown, grade=grade)


@dataclass
class ExpiryReport:
    lapsed: list = field(default_factory=list)  # ids of the applications declined
    promoted: list = field(default_factory=list)  # ids of the waitlisted applications selected
    failed: list = field(default_factory=list)  # (id, message)


def lapsed_offer_ids(now):
    return db.session.scalars(
        sa.select(Application.id)
        .where(Application.state == "selected", Application.offer_deadline < now)
        .order_by(Application.offer_deadline, Application.id)
    ).all()


def _waitlisted_ids(call_id):
    return set(
        db.session.scalars(
            sa.select(Application.id).where(Application.call_id == call_id, Application.state == "waitlisted")
        )
    )


def expire_offers(now=None):
    """Decline every offer whose deadline passed before `now`, as the system. Idempotent:
    a declined application is no longer `selected`, and promoted ones get a new deadline."""
    now = now or utcnow()
    report = ExpiryReport()
    for application_id in lapsed_offer_ids(now):
        # Read afresh and lock: the applicant may have confirmed in the meantime.
        application = db.session.get(Application, application_id, populate_existing=True, with_for_update=True)
        if (
            application is None
            or application.state != "selected"
            or not (application.offer_deadline is not None and application.offer_deadline < now)
        ):
            db.session.rollback()
            continue
        waiting = _waitlisted_ids(application.call_id)
        with force_locale(application.applicant.locale):
            comment = _("The offer lapsed: the place was not confirmed by the deadline.")
        try:
            fire(application, "decline_place", None, comment=comment)
            # Run from the CLI, outside any request: each application is its own unit of work.
            db.session.commit()
        except (WorkflowError, SQLAlchemyError) as error:
            db.session.rollback()
            report.failed.append((application_id, str(error)))
            continue
        report.lapsed.append(application_id)
        if waiting:
            report.promoted.extend(
                db.session.scalars(
                    sa.select(Application.id)
                    .where(Application.id.in_(waiting), Application.state == "selected")
                    .order_by(Application.rank, Application.id)
                )
            )
    return report
