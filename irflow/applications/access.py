"""Which applications a user may see. Every view that takes an application id goes
through `application_or_404`, so a wrong or foreign id is a 404, never someone's data."""

import sqlalchemy as sa
from flask import abort

from ..extensions import db
from ..models import Application


def visible_filter(user):
    """A WHERE clause limiting Application rows to those `user` may see.

    Examiners get nothing here: they see only what they score, on the score sheet of the
    calls they examine (irflow/scoring), never the application with its motivation,
    documents and messages. Coordinators see their faculties' applications once submitted;
    a draft is the applicant's own business."""
    if user is None or not user.is_authenticated or not user.active:
        return sa.false()
    if user.has_role("head"):
        return sa.true()
    clauses = [Application.applicant_id == user.id]
    if user.has_role("coordinator") and user.coordinated_faculty_ids:
        clauses.append(
            sa.and_(
                Application.faculty_id.in_(sorted(user.coordinated_faculty_ids)),
                Application.state != "draft",
            )
        )
    return sa.or_(*clauses)


def visible_applications(user):
    return sa.select(Application).where(visible_filter(user))


def application_or_404(application_id, user):
    application = db.session.scalar(
        sa.select(Application).where(Application.id == application_id, visible_filter(user))
    )
    if application is None:
        abort(404)
    return application
