"""The queries behind the partners pages, each loading what its page shows in a fixed
number of statements (eager loading), whatever the number of rows."""

from datetime import date, timedelta

import sqlalchemy as sa

from ..extensions import db
from ..models import Agreement, Partner
from ..models.partner import AGREEMENT_WARNING_DAYS


def agreement_status(agreement, today=None):
    """in_force, expiring (within the warning window), expired or future; None without dates."""
    today = today or date.today()
    if agreement.valid_from and agreement.valid_from > today:
        return "future"
    if agreement.valid_until and agreement.valid_until < today:
        return "expired"
    if agreement.expires_soon(today):
        return "expiring"
    if agreement.valid_from or agreement.valid_until:
        return "in_force"
    return None


def partners_query(country=None, kind=None):
    query = (
        db.select(Partner)
        .order_by(Partner.name, Partner.id)
        .options(db.selectinload(Partner.agreements).joinedload(Agreement.program))
    )
    if country is not None:
        query = query.where(Partner.country == country)
    if kind is not None:
        query = query.where(Partner.kind == kind)
    return query


def partner_countries():
    return db.session.scalars(db.select(Partner.country).distinct()).all()


def all_partners():
    return db.session.scalars(db.select(Partner).order_by(Partner.name, Partner.id)).all()


def partner_with_agreements(partner_id):
    return db.session.scalar(
        db.select(Partner)
        .where(Partner.id == partner_id)
        .options(db.selectinload(Partner.agreements).joinedload(Agreement.program))
    )


def partner_count():
    return db.session.scalar(db.select(sa.func.count(Partner.id)))


def taken_names(typed, exclude_id=None):
    """Names of other partners equal to `typed` (whatever the case)."""
    typed = (typed or "").strip()
    if not typed or "\x00" in typed:  # the form refuses a NUL; the database would fail on it
        return []
    query = db.select(Partner.name).where(sa.func.lower(Partner.name) == typed.lower())
    if exclude_id is not None:
        query = query.where(Partner.id != exclude_id)
    return db.session.scalars(query).all()


def taken_oids(typed, exclude_id=None):
    """The OID `typed` when another partner has it already (a list of at most one)."""
    typed = (typed or "").strip().upper()
    if not typed or "\x00" in typed:
        return []
    query = db.select(Partner.oid).where(Partner.oid == typed)
    if exclude_id is not None:
        query = query.where(Partner.id != exclude_id)
    return db.session.scalars(query).all()


def expiring_agreements(today=None):
    """Agreements ending within the warning window, soonest first, with their partner."""
    today = today or date.today()
    return db.session.scalars(
        db.select(Agreement)
        .where(Agreement.valid_until >= today, Agreement.valid_until <= today + timedelta(days=AGREEMENT_WARNING_DAYS))
        .options(db.joinedload(Agreement.partner), db.joinedload(Agreement.program))
        .order_by(Agreement.valid_until, Agreement.id)
    ).all()


def partners_with_agreements(partner_ids):
    """{id: partner} with their agreements loaded, for checking a call's hosts."""
    partner_ids = {partner_id for partner_id in partner_ids if partner_id is not None}
    if not partner_ids:
        return {}
    partners = db.session.scalars(
        db.select(Partner).where(Partner.id.in_(partner_ids)).options(db.selectinload(Partner.agreements))
    ).all()
    return {partner.id: partner for partner in partners}
