"""Saving an application's participant data, as one use case. Nothing here commits: the
request commits once the view has succeeded."""

from flask_babel import gettext as _

from .. import events
from ..errors import Refused
from ..extensions import db
from ..models import ParticipantData
from ..workflow import STATE_LABELS
from . import policy

# Changing these is written to the security event log (which fields, never their values).
SENSITIVE_FIELDS = ("fewer_opportunities", "special_needs")


class ParticipantDataRefused(Refused):
    """Not (or no longer) `user`'s to change, or changed by someone else since the form was opened."""


def stale_participant_data_message():
    return _(
        "These data were changed by someone else (or in another window) after you opened them. "
        "Nothing was saved. What you typed is kept below: check it, then save again."
    )


def check_participant_data_editable(application, user, posted_version):
    """Raise ParticipantDataRefused unless `user` may change the data now, against the
    version the form was rendered with (0: there were no data yet)."""
    if not policy.may_edit_participant_data(user, application):
        raise ParticipantDataRefused(
            _(
                "The participant data can no longer be changed: the application is now “%(state)s”. Nothing was saved.",
                state=STATE_LABELS[application.state],
            )
        )
    current = application.participant_data
    if not _same_version(posted_version, current.version if current is not None else 0):
        raise ParticipantDataRefused(stale_participant_data_message())


def save_participant_data(application, user, posted_version, **fields):
    """Write the data (created on the first save) as `user`; see check_participant_data_editable."""
    check_participant_data_editable(application, user, posted_version)
    participant_data = application.participant_data
    if participant_data is None:
        participant_data = ParticipantData(application=application)
        db.session.add(participant_data)
        changed_sensitive = list(SENSITIVE_FIELDS)
    else:
        changed_sensitive = [name for name in SENSITIVE_FIELDS if getattr(participant_data, name) != fields[name]]
    for name, value in fields.items():
        setattr(participant_data, name, value)
    participant_data.updated_by = user
    if changed_sensitive:
        events.record(
            "sensitive_data_changed",
            actor=user,
            user=application.applicant_id,
            details={"application": application.id, "fields": changed_sensitive},
        )
    # Written now: a save that won the race (or a first save made meanwhile) is refused here,
    # before success is reported.
    db.session.flush()
    return participant_data


def _same_version(posted, current):
    try:
        return int(posted) == current
    except (TypeError, ValueError):
        return False
