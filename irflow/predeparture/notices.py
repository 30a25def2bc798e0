"""Each change of a checklist item is kept for the application's history, and told to the
participant when someone else made it (queued in the outbox in the request's own transaction).
The participant's own "done" is not mailed back to them."""

from flask_babel import gettext as _

from ..extensions import db
from ..models import PredepartureItemChange
from ..services import mail
from .items import ITEM_KINDS


def keep_change(application, record, user):
    """Add the history row of `record`'s new state and mail the participant if they did not
    make the change themselves."""
    change = PredepartureItemChange(
        application=application, item=record.item, state=record.state, reason=record.reason, actor=user
    )
    db.session.add(change)
    if user is None or user.id != application.applicant_id:
        _queue_notice(application, change, user)
    return change


def _queue_notice(application, change, user):
    label = ITEM_KINDS[change.item].label
    mail.queue_for_user(
        application.applicant,
        "emails/predeparture_item_changed.txt",
        lambda: _("Application %(number)s: %(item)s in your checklist", number=application.id, item=label),
        application=application,
        change=change,
        item=label,
        actor=user,
    )
