"""What the review queue changes: many applications at once, and one with a step to the next."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from ..applications import operations as application_operations
from ..errors import Refused
from ..extensions import db
from ..models import Application
from ..workflow import fire
from .queries import review_scope


@dataclass(frozen=True)
class RowResult:
    application_id: int
    done: bool
    reason: str | None = None


def fire_for_each(rows, trigger, actor, comment=None):
    """Fire `trigger` on each of `rows` ((application id, version the page showed), in order)
    for `actor`: each row on its own SAVEPOINT, so that a row refused (changed meanwhile, in
    a state where the trigger does not apply, out of the actor's reach) undoes that row only
    and the others stay done. Returns a RowResult per row; refuses nothing as a whole.

    The rows are read within the actor's review scope: an id out of it is answered like an
    unknown one, telling nothing about that application."""
    ids = [application_id for application_id, _version in rows]
    found = {
        application.id: application
        for application in db.session.scalars(
            sa.select(Application).where(Application.id.in_(ids), review_scope(actor))
        )
    }
    results = []
    for application_id, version in rows:
        application = found.get(application_id)
        if application is None:
            results.append(RowResult(application_id, False, _("Not in your review queue.")))
            continue
        try:
            with db.session.begin_nested():
                fire(application, trigger, actor, comment=comment, version=version)
                db.session.flush()  # a change made meanwhile is found here, for this row only
        except StaleDataError:
            results.append(
                RowResult(application_id, False, _("Changed by someone else meanwhile. Nothing was done with it."))
            )
        except Refused as refusal:
            results.append(RowResult(application_id, False, str(refusal)))
        else:
            results.append(RowResult(application_id, True))
    return results


def act(application, trigger, actor, *, comment, version, date=None):
    """Fire `trigger` on one application from its page, as its own action form does
    (the queue only chooses where the coordinator goes next)."""
    application_operations.fire_action(application, trigger, actor, comment=comment, version=version, date=date)
