"""The queries behind the programs pages."""

import sqlalchemy as sa

from ..extensions import db
from ..models import Call, Program
from .policy import public_filter


def published_programs():
    return db.select(Program).where(public_filter()).order_by(Program.name)


def open_calls_by_program(program_ids, now):
    """{program id: [its published calls open at `now`]}, in one statement. (The calls package
    builds on programs, so the open calls are asked for here rather than from it.)"""
    grouped = {program_id: [] for program_id in program_ids}
    if not program_ids:
        return grouped
    calls = db.session.scalars(
        db.select(Call)
        .where(
            Call.published.is_(True),
            Call.opens_at <= now,
            Call.closes_at > now,
            Call.program_id.in_(program_ids),
        )
        .order_by(Call.closes_at, Call.id)
    ).all()
    for call in calls:
        grouped[call.program_id].append(call)
    return grouped


def all_programs():
    """Every program, for the head's lists and choices."""
    return db.session.scalars(db.select(Program).order_by(Program.name, Program.id)).all()


def call_counts():
    """{program id: number of calls}, in one statement."""
    return dict(db.session.execute(db.select(Call.program_id, sa.func.count(Call.id)).group_by(Call.program_id)).all())


def taken_names(typed, exclude_id=None):
    """Names of other programs equal to `typed` (whatever the case)."""
    typed = (typed or "").strip()
    if not typed or "\x00" in typed:  # the form refuses a NUL; the database would fail on it
        return []
    query = db.select(Program.name).where(sa.func.lower(Program.name) == typed.lower())
    if exclude_id is not None:
        query = query.where(Program.id != exclude_id)
    return db.session.scalars(query).all()


def program_count():
    return db.session.scalar(db.select(sa.func.count(Program.id)))
