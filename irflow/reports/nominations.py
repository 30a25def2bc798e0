"""The coordinator's mobility page as queries, and the bulk nomination.

Scope: the review queue's (`review.queries.review_scope`): the faculties a coordinator
coordinates, everything for the head. Who may nominate a row is still decided by the
workflow (`actor_may`): a head who is not a coordinator sees the lists and nominates nobody.

`nominate_all` fires `nominate` for every selected application in the caller's transaction,
each against the version the page showed; when any is refused it raises `NominationRefused`
listing every refusal, and the caller rolls the whole batch back.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, lazyload, selectinload

from ..extensions import db
from ..models import Application, Call, CallPlace, User
from ..review.queries import review_scope
from ..workflow import STATE_LABELS, TRANSITIONS_BY_TRIGGER, WorkflowError, fire
from ..workflow.permissions import actor_may

# The sections of the page, in the order of the workflow.
SECTIONS = ("confirmed", "nominated", "host_accepted", "abroad", "returned", "report_submitted")
NOMINATE = TRANSITIONS_BY_TRIGGER["nominate"]
# Far beyond a real batch; keeps a forged form from asking for thousands of rows.
MAX_BATCH = 1000


def _in_scope(user, call_id=None):
    conditions = [review_scope(user), Application.state.in_(SECTIONS)]
    if call_id is not None:
        conditions.append(Application.call_id == call_id)
    return conditions


def mobility_rows(user, call_id=None):
    """{state: [application, ...]} of the applications in `user`'s scope in each section,
    ordered by the participant's Latin name."""
    rows = (
        db.session.scalars(
            sa.select(Application)
            .join(User, Application.applicant_id == User.id)
            .where(*_in_scope(user, call_id))
            .options(
                # Applicant and call come joined (the relationships are lazy="joined"); the
                # applicants' roles and faculties coordinated are not shown: not loaded either.
                joinedload(Application.applicant).options(
                    lazyload(User.role_rows), lazyload(User.coordinated_faculties)
                ),
                joinedload(Application.allocated_place).joinedload(CallPlace.partner),
                joinedload(Application.faculty),
                selectinload(Application.report),
            )
            .order_by(sa.func.lower(User.full_name_latin), Application.id)
        )
        .unique()
        .all()
    )
    sections = {state: [] for state in SECTIONS}
    for application in rows:
        sections[application.state].append(application)
    return sections


def call_choices(user):
    """(id, title, academic year) of the calls with participants in `user`'s scope, newest first."""
    in_scope = sa.select(Application.call_id).where(*_in_scope(user))
    return db.session.execute(
        sa.select(Call.id, Call.title, Call.academic_year)
        .where(Call.id.in_(in_scope))
        .order_by(Call.opens_at.desc(), Call.title, Call.id)
    ).all()


def may_nominate(application, user):
    return application.state in NOMINATE.sources and actor_may(NOMINATE, application, user)


@dataclass
class Refusal:
    application_id: int
    name: str | None  # the participant's Latin name; None when the id is not theirs to see
    message: str
    stale: bool = False


class NominationRefused(Exception):
    def __init__(self, refusals):
        super().__init__("; ".join(refusal.message for refusal in refusals))
        self.refusals = refusals

    @property
    def stale(self):
        return any(refusal.stale for refusal in self.refusals)


def read_selection(form):
    """[(application id, posted version or None)] from the posted form, in the order posted;
    ids that are not numbers are kept as refusals. Returns (selection, refusals)."""
    selection, refusals, seen = [], [], set()
    for raw in form.getlist("application")[:MAX_BATCH]:
        raw = (raw or "").strip()
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
            refusals.append(Refusal(0, None, _("“%(value)s” is not an application number.", value=raw[:20])))
            continue
        application_id = int(raw)
        if application_id in seen:
            continue
        seen.add(application_id)
        version = (form.get(f"version-{application_id}") or "").strip()
        selection.append(
            (application_id, int(version) if version.isascii() and version.isdigit() and len(version) <= 9 else None)
        )
    return selection, refusals


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
    """Fire `nominate` for every (id, version) in `selection` as `user`. Nothing is committed.
    Every row is tried so that the page can name each refusal; if any is refused,
    NominationRefused is raised and the caller must roll back. Returns the applications."""
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
    return nominated
