"""What an administrator changes on a user account. Nothing here commits: the request is
the unit of work."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import events
from ..auth.sessions import end_all_sessions
from ..errors import Refused
from ..extensions import db
from ..models import UserSession

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..models import Faculty, User


class AccessRefused(Refused):
    """A change of roles refused; its message belongs beside the roles of the form."""


def set_access(actor: User, account: User, roles: Iterable[str], faculties: Iterable[Faculty]) -> None:
    """Give `account` exactly these roles and coordinated faculties. An administrator
    cannot take the admin role from themselves (nobody might be left to give it back)."""
    roles = set(roles)
    if account.id == actor.id and "admin" not in roles:
        raise AccessRefused(_("You cannot take the administrator role from yourself."))
    account.set_roles(roles)
    account.coordinated_faculties = list(faculties)


def set_active(actor: User, account: User, active: bool) -> None:
    """Activate or deactivate `account`; deactivation ends every login of it at once.
    Administrators cannot change their own account's status."""
    if account.id == actor.id:
        raise Refused(_("You cannot deactivate your own account."))
    account.active = active
    if not active:
        end_all_sessions(account, "deactivated")


def end_login(actor: User, account: User, session_id: int) -> None:
    """End one login of `account` (a lost phone, a shared computer)."""
    record = db.session.scalar(
        sa.select(UserSession).where(UserSession.id == session_id, UserSession.user_id == account.id)
    )
    if record is None or record.ended_at is not None:
        raise Refused(_("This login has already ended."))
    record.end("ended_by_admin")
    events.record("sessions_ended", actor=actor, user=account, details={"sessions": 1})


def end_all_logins(actor: User, account: User) -> int:
    """End every login of `account`; returns how many were open."""
    ended = end_all_sessions(account, "ended_by_admin")
    events.record("sessions_ended", actor=actor, user=account, details={"sessions": ended})
    return ended
