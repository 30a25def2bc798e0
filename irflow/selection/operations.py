"""The head's confirmation of a call's selection, as one use case.

Nothing here commits: the request commits once when the view has succeeded, and rolls
everything back when any decision is refused, so a selection is confirmed whole or not at all.
"""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from .. import events
from ..extensions import db
from ..models import Application, Call
from ..models.base import utcnow
from ..workflow import fire
from ..workflow.allocation import lock_place
from .proposal import RESULT_ORDER


def lock_call(call_id):
    """Hold the call's row until the end of the transaction: two heads confirming at once,
    the second waits here and then finds the selection confirmed."""
    db.session.execute(sa.select(Call.id).where(Call.id == call_id).with_for_update())


def still_open(call, now=None):
    """True while applications may still be submitted to `call` (or could be, once it is
    published): until its closing time."""
    return call.closes_at > (now or utcnow())


def _applications_as_proposed(call, proposal):
    """{id: Application} of the proposal's ranked rows, each at the version the proposal
    was made from; one changed since raises StaleDataError (as its write would)."""
    applications = {
        application.id: application
        for application in db.session.scalars(
            sa.select(Application)
            .where(Application.call_id == call.id, Application.state == "tested")
            .options(selectinload(Application.choices))
        )
    }
    for row in proposal.ranked:
        application = applications.get(row.id)
        if application is None or application.version != row.application.version:
            raise StaleDataError(f"application {row.id} changed since the proposal was made")
    return applications


def confirm_selection(call, proposal, decisions, actor):
    """Rank every ranked application and fire its decision: selects first (in rank order,
    so that each capacity check sees the places already taken), then the waiting list,
    then the rest. A refused trigger raises WorkflowError (a Refused) and nothing stays."""
    now = utcnow()
    applications = _applications_as_proposed(call, proposal)
    places = {place.id: place for place in call.places}
    # Every host's place at once, in id order (as a select by the head does): the selects
    # below then never wait for one host while holding another.
    for place_id in sorted(places):
        lock_place(places[place_id])
    for row in proposal.ranked:
        application = applications[row.id]
        application.rank = row.rank
        # The total the ranking used, so that the applicant sees the same figures.
        application.total_score = row.total
    for result in RESULT_ORDER:
        for row in proposal.ranked:
            decision = decisions[row.id]
            if decision.result != result:
                continue
            data = {"place": places[decision.place_id]} if result == "select" else {}
            fire(applications[row.id], result, actor, **data)
    call.selection_confirmed_at = now
    results = [decisions[row.id].result for row in proposal.ranked]
    events.record(
        "selection_confirmed",
        actor=actor,
        details={"call": call.id, **{result: results.count(result) for result in RESULT_ORDER}},
    )
    # Written now: a row changed by someone else is refused here, before the view reports success.
    db.session.flush()
