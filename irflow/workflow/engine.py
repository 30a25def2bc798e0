"""fire(): the one door through which an application changes state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask_babel import get_timezone
from flask_babel import gettext as _
from transitions import Machine

from ..extensions import db
from ..models import TransitionLog
from ..models.application import state_assignment_allowed
from ..models.base import utcnow
from ..models.states import HOLDING_STATES, STATE_LABELS, STATES
from . import allocation, notices
from .effects import EFFECTS, FOLLOW_UPS
from .errors import WorkflowError
from .guards import problems_for
from .permissions import actor_may
from .states import FREES_PLACE, TRANSITIONS, TRANSITIONS_BY_TRIGGER, Transition

if TYPE_CHECKING:
    from flask_login import AnonymousUserMixin
    from transitions import EventData

    from ..models import Application, CallPlace, User


def _run_effect(event: EventData) -> None:
    effect = EFFECTS.get(event.event.name)
    if effect is not None:
        effect(event.model, event.kwargs["ctx"])
    for follow_up in FOLLOW_UPS.get(event.event.name, ()):
        follow_up(event.model, event.kwargs["ctx"])


# One Machine for every application: building one per row would cost list pages dearly.
machine = Machine(
    model=None,
    states=list(STATES),
    transitions=[
        {"trigger": t.trigger, "source": list(t.sources), "dest": t.dest, "after": _run_effect} for t in TRANSITIONS
    ],
    initial=None,
    auto_transitions=False,
    model_attribute="state",
    send_event=True,
)


@dataclass
class FireContext:
    actor: User | None
    comment: str | None
    data: dict[str, Any]
    now: datetime = field(default_factory=utcnow)
    place: CallPlace | None = None  # the place `select` allocates, found by its guard

    @property
    def today(self) -> date:
        # Departure and return are calendar dates where the user is (by default Asia/Dushanbe,
        # UTC+5): "not in the future" must use today there, not today in UTC.
        zone = get_timezone()
        now = self.now or utcnow()
        return now.astimezone(zone).date() if zone is not None else now.date()


def _stale() -> WorkflowError:
    return WorkflowError(_("This application was changed by someone else. Reload the page and try again."))


def fire(
    application: Application,
    trigger: str,
    actor: User | None,
    comment: str | None = None,
    version: int | str | None = None,
    **data: object,
) -> Application:
    """Fire `trigger` on `application` for `actor` (None for the system).

    Checks role and scope, state, guards and (when given) the version the form was
    rendered with; sets the state through the Machine, runs the effect, writes the
    TransitionLog row and queues the applicant's notification. Nothing is committed:
    the caller commits once at the end of the request. Raises WorkflowError on refusal.
    """
    transition = TRANSITIONS_BY_TRIGGER.get(trigger)
    if transition is None:
        raise WorkflowError(_("Unknown action."))
    if version is not None:
        try:
            if int(version) != application.version:
                raise _stale()
        except (TypeError, ValueError):
            raise _stale() from None
    if not actor_may(transition, application, actor):
        raise WorkflowError(_("You may not do this with this application."))
    if application.state not in transition.sources:
        raise WorkflowError(
            _("This is not possible while the application is “%(state)s”.", state=STATE_LABELS[application.state])
        )
    comment = (comment or "").strip() or None
    ctx = FireContext(actor=actor, comment=comment, data=data)
    problems = problems_for(transition, application, ctx)
    if problems:
        raise WorkflowError(_("This cannot be done yet:"), problems)

    from_state = application.state
    released_place = application.allocated_place if (trigger in FREES_PLACE and from_state in HOLDING_STATES) else None
    with state_assignment_allowed():
        machine.events[trigger].trigger(application, ctx=ctx)
    db.session.add(
        TransitionLog(
            application=application,
            trigger=trigger,
            from_state=from_state,
            to_state=application.state,
            actor_id=actor.id if actor is not None else None,
            comment=comment,
            created_at=ctx.now,
        )
    )
    notices.queue_transition_notice(application, transition, comment)
    if released_place is not None:
        promote_waiting_list(released_place)
    return application


def promote_waiting_list(place: CallPlace) -> list[Application]:
    """Give every free place at `place` to the best-ranked waitlisted applicants who chose it.

    The place is locked before anything is counted or picked: a second place freed at the
    same host in another transaction waits here until the first promotion is committed,
    then counts and picks afresh (the next on the list, not the one just promoted)."""
    promoted = []
    db.session.flush()
    allocation.lock_place(place)
    while allocation.free_places(place) > 0:
        candidate = allocation.next_on_waiting_list(place)
        if candidate is None:
            break
        fire(candidate, "select", None, place=place)
        db.session.flush()
        promoted.append(candidate)
    return promoted


def available_actions(application: Application, user: User | AnonymousUserMixin | None) -> list[Transition]:
    """The transitions `user` may try on `application` now (guards are checked on firing,
    so that the user learns what is missing)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return [
        transition
        for transition in TRANSITIONS
        if application.state in transition.sources and actor_may(transition, application, user)
    ]
