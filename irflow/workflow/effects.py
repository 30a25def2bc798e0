"""What a transition changes besides the state. Run by the Machine after the state is set."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from . import allocation, notices

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..models import Application
    from .engine import FireContext


def on_submit(application: Application, ctx: FireContext) -> None:
    if application.submitted_at is None:
        application.submitted_at = ctx.now


def on_request_changes(application: Application, ctx: FireContext) -> None:
    application.changes_due_at = ctx.data.get("changes_due_at") or (
        ctx.now + timedelta(days=application.call.changes_reply_days)
    )


def on_resubmit(application: Application, ctx: FireContext) -> None:
    application.changes_due_at = None


def on_record_score(application: Application, ctx: FireContext) -> None:
    application.total_score = allocation.total_score(application, application.scores)


def on_select(application: Application, ctx: FireContext) -> None:
    application.allocated_place = ctx.place
    application.offer_deadline = ctx.now + timedelta(days=application.call.offer_reply_days)


def on_nominate(application: Application, ctx: FireContext) -> None:
    host = application.allocated_place.partner if application.allocated_place else None
    if host is not None and host.contact_email:
        notices.queue_nomination(application, host, ctx.actor)


def on_depart(application: Application, ctx: FireContext) -> None:
    application.actual_departure = ctx.data["departure_date"]


def on_return_home(application: Application, ctx: FireContext) -> None:
    application.actual_return = ctx.data["return_date"]


EFFECTS: dict[str, Callable[[Application, FireContext], None]] = {
    "submit": on_submit,
    "resubmit": on_resubmit,
    "request_changes": on_request_changes,
    "record_score": on_record_score,
    "select": on_select,
    "nominate": on_nominate,
    "depart": on_depart,
    "return_home": on_return_home,
}


# What packages built on the workflow do after a transition (payments settle the last
# instalment on approve_report). The composition root (irflow/__init__.py) registers them,
# so that the workflow imports none of those packages.
FOLLOW_UPS: dict[str, list[Callable[[Application, FireContext], None]]] = {}


def follow_up(trigger: str, effect: Callable[[Application, FireContext], None]) -> None:
    """Run `effect` after `trigger`'s own effect; registering the same one twice keeps one."""
    effects = FOLLOW_UPS.setdefault(trigger, [])
    if effect not in effects:
        effects.append(effect)
