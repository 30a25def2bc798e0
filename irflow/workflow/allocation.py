"""Scores, free places and the waiting list."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

from ..extensions import db
from ..models import Application, ApplicationChoice, CallPlace, Score
from ..models.states import HOLDING_STATES

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..models import Criterion

HUNDRED = Decimal(100)


def normalised_grade(application: Application) -> Decimal | None:
    """The average grade on a 0–100 scale, given the call's grade scale."""
    if application.average_grade is None:
        return None
    value = Decimal(application.average_grade) / Decimal(application.call.grade_scale) * HUNDRED
    return min(max(value, Decimal(0)), HUNDRED)


def score_breakdown(
    application: Application, scores: Iterable[Score] | None = None
) -> list[tuple[Criterion, Decimal | None]]:
    """[(criterion, value or None)] for every criterion of the call, in the call's order."""
    if scores is None:
        scores = db.session.scalars(sa.select(Score).where(Score.application_id == application.id))
    by_criterion = {score.criterion_id: Decimal(score.value) for score in scores}
    breakdown = []
    for criterion in application.call.criteria:
        if criterion.source == "average_grade":
            breakdown.append((criterion, normalised_grade(application)))
        else:
            breakdown.append((criterion, by_criterion.get(criterion.id)))
    return breakdown


def total_score(application: Application, scores: Iterable[Score] | None = None) -> Decimal | None:
    """Σ weight·score / Σ weight over the call's criteria; None while a value is missing."""
    return total_of(score_breakdown(application, scores))


def total_of(breakdown: list[tuple[Criterion, Decimal | None]]) -> Decimal | None:
    """The total of a score_breakdown (see total_score)."""
    if not breakdown or any(value is None for _, value in breakdown):
        return None
    weights = sum(Decimal(criterion.weight) for criterion, _ in breakdown)
    weighted = sum(Decimal(criterion.weight) * value for criterion, value in breakdown)
    return (weighted / weights).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def held_places(place_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Application.id)).where(
            Application.allocated_place_id == place_id,
            Application.state.in_(HOLDING_STATES),
        )
    )


def free_places(place: CallPlace) -> int:
    return place.places - held_places(place.id)


def lock_place(place: CallPlace) -> None:
    """Lock the place's row until the end of the transaction and read its number of places
    afresh. Everything that gives a place or lowers the places locks first, so they take
    turns per host (SQLite's writes are serial anyway); without the fresh read, a number
    loaded before the lock (and lowered meanwhile) would be trusted."""
    db.session.scalars(
        sa.select(CallPlace)
        .where(CallPlace.id == place.id)
        .options(lazyload(CallPlace.partner))
        .with_for_update(of=CallPlace)
        .execution_options(populate_existing=True)
    ).one()  # the row must be read: populate_existing refreshes only what is fetched


def first_free_choice(application: Application) -> CallPlace | None:
    """The applicant's highest-ranked host that still has a free place, or None."""
    # Lock every chosen place first, in id order: two selections with crossing
    # preferences then wait for each other instead of deadlocking.
    for place in sorted((choice.place for choice in application.choices), key=lambda place: place.id):
        lock_place(place)
    for choice in application.choices:
        if free_places(choice.place) > 0:
            return choice.place
    return None


def next_on_waiting_list(place: CallPlace) -> Application | None:
    """The best-ranked waitlisted applicant of the place's call who chose that host, locked
    and read afresh: a promotion committed by another transaction since this one read the
    application must be seen, not overwritten. Lock the place first (see lock_place)."""
    return db.session.scalars(
        sa.select(Application)
        .join(ApplicationChoice, ApplicationChoice.application_id == Application.id)
        .where(
            Application.call_id == place.call_id,
            Application.state == "waitlisted",
            ApplicationChoice.call_place_id == place.id,
        )
        .order_by(
            Application.rank.is_(None),
            Application.rank,
            Application.total_score.is_(None),
            Application.total_score.desc(),
            Application.submitted_at,
            Application.id,
        )
        .limit(1)
        .with_for_update(of=Application)
        .execution_options(populate_existing=True)
    ).first()
