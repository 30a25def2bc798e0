"""What a selected applicant is offered, what they see of their result, and which offers
have lapsed.

`offer_for` and `result_for` feed the offer and result panels of the application page
(exposed to templates by routes.py). `lapsed_offer_ids` feeds `flask --app wsgi
expire-offers` (cli.py).
"""

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from ..extensions import db
from ..models import Application
from ..models.base import utcnow
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


def lapsed_offer_ids(now):
    return db.session.scalars(
        sa.select(Application.id)
        .where(Application.state == "selected", Application.offer_deadline < now)
        .order_by(Application.offer_deadline, Application.id)
    ).all()
