"""Asking for and deciding on a change during the stay. Nothing here commits: the request
commits once the view has succeeded.

An approved extension or shortening replaces the application's planned end (the exports,
the dashboard and the application page read it from there); the application's version
goes up with it, as for any change of the application. An approved interruption changes no
date: its days are recorded on the request, and they are not mobility days.
"""

from flask_babel import gettext as _

from ..errors import Refused
from ..extensions import db
from ..models import StayChange
from ..models.base import utcnow
from ..models.stay_change import STAY_CHANGE_KINDS
from . import notices, policy

REASON_MAX = 4000


class StayChangeRefused(Refused):
    """Not (or no longer) the user's to ask or decide, or changed by someone else meanwhile."""


def stale_message():
    return _(
        "This request or the application was changed by someone else (or in another window) "
        "after you opened the page. Nothing was saved: check the request, then decide again."
    )


def one_open_request_message():
    return _("There is already a request waiting for a decision. Wait for it before asking for another change.")


def check_may_request(application, user):
    if not policy.may_request(user, application):
        raise StayChangeRefused(_("Changes to the stay can be asked for only by the participant while abroad."))
    if policy.open_request(application) is not None:
        raise StayChangeRefused(one_open_request_message())


def request_change(
    application,
    user,
    kind,
    reason,
    new_end=None,
    interruption_from=None,
    interruption_to=None,
    force_majeure=False,
    force_majeure_explanation=None,
):
    """A new request by the participant; the dates are checked again here (policy.date_problems)."""
    check_may_request(application, user)
    problems = policy.date_problems(application, kind, new_end, interruption_from, interruption_to)
    if problems:
        raise StayChangeRefused(_("The dates do not fit the stay."), problems=problems.values())
    reason = (reason or "").strip()
    if not reason:
        raise StayChangeRefused(_("Give the reason for the change."))
    is_interruption = kind == "interruption"
    force_majeure = bool(force_majeure) and is_interruption
    explanation = (force_majeure_explanation or "").strip() if force_majeure else None
    if force_majeure and not explanation:
        raise StayChangeRefused(_("Explain the force majeure."))
    stay_change = StayChange(
        application=application,
        kind=kind,
        new_end=None if is_interruption else new_end,
        interruption_from=interruption_from if is_interruption else None,
        interruption_to=interruption_to if is_interruption else None,
        force_majeure=force_majeure,
        force_majeure_explanation=explanation,
        previous_end=application.planned_end,
        reason=reason,
        state="requested",
        requested_by=user,
    )
    db.session.add(stay_change)
    # Written now: a second request sent at the same moment hits the one-open index here.
    db.session.flush()
    notices.queue_request_notices(stay_change)
    return stay_change


def decide(stay_change, user, approve, comment, posted_version, posted_application_version):
    """Approve or refuse `stay_change` as `user`, against the versions the page showed."""
    application = stay_change.application
    if not policy.may_decide(user, application):
        raise StayChangeRefused(_("You may not decide on this request."))
    if (
        not stay_change.is_open
        or not _same(posted_version, stay_change.version)
        or not _same(posted_application_version, application.version)
    ):
        raise StayChangeRefused(stale_message())
    comment = (comment or "").strip()
    if not approve and not comment:
        raise StayChangeRefused(_("Say why the request is refused."))
    if approve and stay_change.kind in ("extension", "shortening"):
        # The planned end may have moved since the request: the dates must still fit.
        problems = policy.date_problems(application, stay_change.kind, stay_change.new_end)
        if problems:
            raise StayChangeRefused(_("The dates no longer fit the stay."), problems=problems.values())
        stay_change.previous_end = application.planned_end
        application.planned_end = stay_change.new_end
    stay_change.state = "approved" if approve else "refused"
    stay_change.decided_by = user
    stay_change.decided_at = utcnow()
    stay_change.comment = comment or None
    db.session.flush()
    notices.queue_decision_notice(stay_change)
    return stay_change


def interrupted_days(application):
    """Days of approved interruptions: not mobility days."""
    rows = db.session.scalars(
        db.select(StayChange).where(
            StayChange.application_id == application.id,
            StayChange.kind == "interruption",
            StayChange.state == "approved",
        )
    )
    return sum(row.interruption_days for row in rows)


def kind_label(kind):
    return STAY_CHANGE_KINDS.get(kind, kind)


def _same(posted, current):
    try:
        return int(posted) == current
    except (TypeError, ValueError):
        return False
