"""The bulk nomination: one use case, one transaction.

`nominate_all` fires `nominate` for every selected application, each against the version
the page showed; when any is refused it raises `NominationRefused` (a Refused) listing
every refusal, and the request rolls the whole batch back. Nothing here commits.
"""

import sqlalchemy as sa
from flask_babel import gettext as _

from ..errors import Refused
from ..extensions import db
from ..models import Application
from ..returns.policy import NOMINATE
from ..review.queries import review_scope
from ..workflow import STATE_LABELS, WorkflowError, fire
from .nominations import Refusal


class NominationRefused(Refused):
    """Some of the selected participants cannot be nominated: `refusals` names each one."""

    def __init__(self, refusals):
        super().__init__("; ".join(refusal.message for refusal in refusals))
        self.refusals = refusals

    @property
    def stale(self):
        return any(refusal.stale for refusal in self.refusals)


def _stale_refusal(application):
    name = application.applicant.full_name_latin
    if application.state in NOMINATE.sources:
        message = _(
            "Application %(number)s (%(name)s) was changed by someone else after this page was "
            "shown. Check it and try again.",
            number=application.id,
            name=name,
        )
    else:
        message = _(
            "Application %(number)s (%(name)s) was changed by someone else after this page was "
            "shown: it is now “%(state)s”.",
            number=application.id,
            name=name,
            state=STATE_LABELS[application.state],
        )
    return Refusal(application.id, name, message, stale=True)


def nominate_all(user, selection):
    """Fire `nominate` for every (id, version) in `selection` as `user`. Every row is tried
    so that the page can name each refusal; if any is refused, NominationRefused is raised
    and the request rolls the whole batch back. Returns the applications nominated."""
    ids = sorted({application_id for application_id, _version in selection})
    # Locked in id order: two coordinators nominating crossing batches wait for each other.
    found = {
        application.id: application
        for application in db.session.scalars(
            sa.select(Application)
            .where(Application.id.in_(ids), review_scope(user))
            .order_by(Application.id)
            .with_for_update(of=Application)
            .execution_options(populate_existing=True)
        ).unique()
    }
    refusals, nominated = [], []
    for application_id, version in selection:
        application = found.get(application_id)
        if application is None:
            refusals.append(
                Refusal(
                    application_id,
                    None,
                    _("Application %(number)s is not among the participants you may nominate.", number=application_id),
                )
            )
            continue
        if version is None or version != application.version:
            refusals.append(_stale_refusal(application))
            continue
        try:
            fire(application, "nominate", user, version=version)
        except WorkflowError as error:
            refusals.append(
                Refusal(
                    application.id,
                    application.applicant.full_name_latin,
                    _(
                        "Application %(number)s (%(name)s): %(reason)s",
                        number=application.id,
                        name=application.applicant.full_name_latin,
                        reason=str(error),
                    ),
                )
            )
            continue
        nominated.append(application)
    if refusals:
        raise NominationRefused(refusals)
    # Written now: a participant changed by someone else is refused here, before success is reported.
    db.session.flush()
    return nominated
