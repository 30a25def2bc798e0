"""The queries behind the calls pages, each loading what its page shows in a fixed
number of statements (eager loading), whatever the number of rows."""

from datetime import timedelta

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    Application,
    ApplicationChoice,
    Call,
    CallPlace,
    Criterion,
    Partner,
    Program,
    Score,
    User,
    call_examiners,
)
from ..models.states import HOLDING_STATES
from ..models.user import UserRole
from .policy import visible_filter

# Calls closed within this many days still appear on the public list.
RECENTLY_CLOSED_DAYS = 180


def call_with_details():
    """Options loading a call with its program, hosts (and partners), criteria."""
    return (
        db.joinedload(Call.program),
        db.selectinload(Call.places).joinedload(CallPlace.partner),
        db.selectinload(Call.criteria),
    )


def published_calls():
    """The calls on the public lists: the published ones, whoever looks (the head too)."""
    return db.select(Call).where(Call.published.is_(True))


def visible_call(call_id, user):
    """The call with its program, hosts and criteria if `user` may open it, else None."""
    return db.session.scalar(
        db.select(Call).where(Call.id == call_id, visible_filter(user)).options(*call_with_details())
    )


def open_filter(now):
    return sa.and_(Call.opens_at <= now, Call.closes_at > now)


def open_calls(now, program_id=None, mobility_type=None):
    return _listed(published_calls().where(open_filter(now)), program_id, mobility_type).order_by(
        Call.closes_at, Call.id
    )


def upcoming_calls(now, program_id=None, mobility_type=None):
    return _listed(published_calls().where(Call.opens_at > now), program_id, mobility_type).order_by(
        Call.opens_at, Call.id
    )


def recently_closed_calls(now, program_id=None, mobility_type=None):
    return _listed(
        published_calls().where(Call.closes_at <= now, Call.closes_at > now - timedelta(days=RECENTLY_CLOSED_DAYS)),
        program_id,
        mobility_type,
    ).order_by(Call.closes_at.desc(), Call.id.desc())


def _listed(query, program_id, mobility_type):
    if program_id is not None:
        query = query.where(Call.program_id == program_id)
    if mobility_type is not None:
        query = query.where(Call.mobility_type == mobility_type)
    return query.options(db.joinedload(Call.program), db.selectinload(Call.places).joinedload(CallPlace.partner))


def programs_with_published_calls():
    """Programs offered in the calls filter: those with a published call."""
    return (
        db.select(Program)
        .where(Program.id.in_(db.select(Call.program_id).where(Call.published.is_(True))))
        .order_by(Program.name)
    )


def own_application_id(call, user):
    """The user's live application to `call`: a withdrawn one may be followed by a new one, so
    it neither stands for the live one nor keeps the user from applying again."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        db.select(Application.id).where(
            Application.call_id == call.id, Application.applicant_id == user.id, Application.state != "withdrawn"
        )
    )


# --- the head's pages ---------------------------------------------------------------------


def application_counts(call_ids):
    """{call id: number of applications}, in one statement."""
    if not call_ids:
        return {}
    rows = db.session.execute(
        db.select(Application.call_id, sa.func.count(Application.id))
        .where(Application.call_id.in_(call_ids))
        .group_by(Application.call_id)
    ).all()
    return dict(rows)


def examiner_candidates(call=None):
    """Active users holding the examiner role, and those already assigned to `call`
    (so that saving the call does not drop them silently)."""
    wanted = User.id.in_(db.select(UserRole.user_id).where(UserRole.role == "examiner"))
    condition = sa.and_(User.active.is_(True), wanted)
    if call is not None and call.id is not None:
        assigned = User.id.in_(db.select(call_examiners.c.user_id).where(call_examiners.c.call_id == call.id))
        condition = sa.or_(condition, assigned)
    return db.session.scalars(db.select(User).where(condition).order_by(User.full_name_latin, User.id)).all()


def protected_partners(call):
    """{partner id: partner name} of this call's hosts that applications chose or hold."""
    if call.id is None:
        return {}
    chosen = db.select(ApplicationChoice.call_place_id)
    allocated = db.select(Application.allocated_place_id).where(Application.allocated_place_id.is_not(None))
    rows = db.session.execute(
        db.select(CallPlace.partner_id, Partner.name)
        .join(Partner, Partner.id == CallPlace.partner_id)
        .where(CallPlace.call_id == call.id, sa.or_(CallPlace.id.in_(chosen), CallPlace.id.in_(allocated)))
    ).all()
    return dict(rows)


def held_places_by_partner(call):
    """{partner id: places held by applications in a holding state} for this call."""
    if call.id is None:
        return {}
    rows = db.session.execute(
        db.select(CallPlace.partner_id, sa.func.count(Application.id))
        .join(Application, Application.allocated_place_id == CallPlace.id)
        .where(CallPlace.call_id == call.id, Application.state.in_(HOLDING_STATES))
        .group_by(CallPlace.partner_id)
    ).all()
    return dict(rows)


def scored_criteria(call):
    """{criterion id: name} of this call's criteria that have scores."""
    if call.id is None:
        return {}
    rows = db.session.execute(
        db.select(Criterion.id, Criterion.name).where(
            Criterion.call_id == call.id, Criterion.id.in_(db.select(Score.criterion_id))
        )
    ).all()
    return dict(rows)


def current_calls(now):
    """Calls open, upcoming or not published, soonest deadline first (the head's overview)."""
    return db.session.scalars(
        db.select(Call)
        .where(sa.or_(Call.published.is_(False), Call.closes_at > now))
        .options(db.joinedload(Call.program))
        .order_by(Call.closes_at, Call.id)
    ).all()


def every_call():
    """Every call, latest deadline first, with its program and hosts (the head's list)."""
    return (
        db.select(Call)
        .options(db.joinedload(Call.program), db.selectinload(Call.places))
        .order_by(Call.closes_at.desc(), Call.id.desc())
    )


def call_to_edit(call_id):
    return db.session.scalar(
        db.select(Call)
        .where(Call.id == call_id)
        .options(
            db.selectinload(Call.places).joinedload(CallPlace.partner),
            db.selectinload(Call.criteria),
            db.selectinload(Call.examiners),
            db.joinedload(Call.program),
        )
    )
