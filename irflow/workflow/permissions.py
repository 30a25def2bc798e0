"""Who may fire which trigger on which application. Deny by default."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models import Application, Call, User
    from .states import Transition


def _examines(actor: User, call: Call) -> bool:
    return any(examiner.id == actor.id for examiner in call.examiners)


def _staff_role_applies(who: str, application: Application, actor: User) -> bool:
    # Staff roles act on other people's applications only: a coordinator who applies
    # to a call does not screen their own application.
    if application.applicant_id == actor.id or not actor.has_role(who):
        return False
    if who == "coordinator":
        return application.faculty_id in actor.coordinated_faculty_ids
    if who == "examiner":
        return _examines(actor, application.call)
    return who == "head"


def actor_may(transition: Transition, application: Application, actor: User | None) -> bool:
    """True when `actor` (None for the system) may fire `transition` on `application`,
    whatever its state and guards."""
    if actor is None:
        return "system" in transition.who
    if not actor.active:
        return False
    for who in transition.who:
        if who == "owner":
            if application.applicant_id == actor.id:
                return True
        elif who != "system" and _staff_role_applies(who, application, actor):
            return True
    return False
