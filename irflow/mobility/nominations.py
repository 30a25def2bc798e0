"""The coordinator's mobility page as queries, and reading the posted selection.

Which rows a user sees and may nominate is returns/policy.py's (`nominations_filter`,
`may_nominate`); the bulk nomination itself is operations.nominate_all.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, lazyload, selectinload

from ..extensions import db
from ..models import Application, Call, CallPlace, User
from ..returns.policy import NOMINATION_SECTIONS as SECTIONS
from ..returns.policy import nominations_filter

# Far beyond a real batch; keeps a forged form from asking for thousands of rows.
MAX_BATCH = 1000


def _in_scope(user, call_id=None):
    conditions = [nominations_filter(user)]
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
                # Only whether they exist is shown (the warning before nominating).
                selectinload(Application.participant_data),
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


def host_lists(sections):
    """[(call, partner)] with participants nominated to that host in that call among
    `sections` (the page's rows), for the links to each host's nomination list; ordered by
    call title, then host name."""
    pairs = {}
    for state in ("nominated", "host_accepted", "abroad", "returned", "report_submitted"):
        for application in sections.get(state, ()):
            place = application.allocated_place
            if place is not None:
                pairs[(application.call_id, place.partner_id)] = (application.call, place.partner)
    return sorted(pairs.values(), key=lambda pair: (pair[0].title, pair[0].id, pair[1].name, pair[1].id))


def call_choices(user):
    """(id, title, academic year) of the calls with participants in `user`'s scope, newest first."""
    in_scope = sa.select(Application.call_id).where(*_in_scope(user))
    return db.session.execute(
        sa.select(Call.id, Call.title, Call.academic_year)
        .where(Call.id.in_(in_scope))
        .order_by(Call.opens_at.desc(), Call.title, Call.id)
    ).all()


@dataclass
class Refusal:
    application_id: int
    name: str | None  # the participant's Latin name; None when the id is not theirs to see
    message: str
    stale: bool = False


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
