"""The dashboard's figures as queries: the per-call state counts and every grouping of the
participants come from the counts the database keeps (application_counts per call, faculty
and state; participant_counts also per place and category), so the page costs the same
whatever the number of applications.

Scope: the faculties a user reviews (`counted_in_reach`) — everything for the head (and
admin), the faculties a coordinator coordinates (the faculty the applicant had when
applying). The exports narrow to the same faculties, which is what makes the figures
reconcile with them. The overdue reports are read from the applications, in the exports'
scope (`dashboard_scope`).

Participants: applications in HOLDING_STATES — exactly the rows the selected participants
export lists. Per-call state counts leave drafts out, as the review queue does (they are
the applicant's own business until submitted), so that each count equals what its link
to the review queue shows.

Period: the calls' academic years, stored as "2026/2027"; that form sorts as text in
time order, so a period is a string range. None at either end leaves that end open.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from ..applications.policy import counted_in_reach
from ..exports.queries import export_scope
from ..extensions import db
from ..models import Application, ApplicationCount, Call, CallPlace, ParticipantCount, Partner, User
from ..models.states import HOLDING_STATES, STATES

__all__ = [
    "CallStateCounts",
    "GROUPINGS",
    "GroupCount",
    "OverdueReport",
    "academic_years",
    "dashboard_figures",
    "dashboard_scope",
    "overdue_page",
    "overdue_reports",
]

# Everything but drafts can be counted per call (see the module's docstring).
COUNTED_STATES = tuple(state for state in STATES if state != "draft")

# The groupings of participants, in the order the page shows them.
GROUPINGS = ("year", "country", "partner", "category", "mobility_type")


def dashboard_scope(user):
    """A WHERE clause limiting applications to those `user` sees on the dashboard, or None
    if they may not see the dashboard at all."""
    return export_scope(user)


def _in_period(year_from, year_to):
    conditions = []
    if year_from is not None:
        conditions.append(Call.academic_year >= year_from)
    if year_to is not None:
        conditions.append(Call.academic_year <= year_to)
    return conditions


def academic_years():
    """Every academic year a call is in, newest first (not scoped: years are no secret)."""
    return db.session.scalars(sa.select(Call.academic_year).distinct().order_by(Call.academic_year.desc())).all()


# --- per call, per state ---------------------------------------------------------------


@dataclass
class CallStateCounts:
    call_id: int
    title: str
    academic_year: str
    counts: dict  # state -> number, non-zero only, workflow order

    @property
    def total(self):
        return sum(self.counts.values())

    @property
    def participants(self):
        return sum(number for state, number in self.counts.items() if state in HOLDING_STATES)


@dataclass(frozen=True)
class GroupCount:
    key: object  # the stored value (year, country code, partner id, category, mobility type); None if unknown
    label: str  # the stored value for years, the partner's name for partners; labels are added by the view
    count: int


def dashboard_figures(user, year_from=None, year_to=None):
    """([CallStateCounts], {grouping: [GroupCount]}) for the calls of the period, as `user`
    may see them; three statements.

    Read from the counts the database keeps (application_counts, participant_counts) in the
    faculties `user` reviews, so the page costs the same whatever the number of
    applications. Per call: its submitted applications per state (drafts left out), newest
    academic year first, then the latest opening. Per grouping of GROUPINGS: the
    participants (applications in HOLDING_STATES). Host country and partner are those of
    the allocated place; a participant without one (never so in a holding state, but the
    figures must not lose anyone) is counted under the key None, as the export leaves those
    cells empty. Category is the applicant's, as exported. Order of the groups is the
    database's; the view sorts."""
    period = _in_period(year_from, year_to)
    per_state = db.session.execute(
        sa.select(ApplicationCount.call_id, ApplicationCount.state, sa.func.sum(ApplicationCount.number))
        .join(Call, Call.id == ApplicationCount.call_id)
        .where(
            counted_in_reach(user, ApplicationCount),
            ApplicationCount.number > 0,
            ApplicationCount.state.in_(COUNTED_STATES),
            *period,
        )
        .group_by(ApplicationCount.call_id, ApplicationCount.state)
    ).all()
    participating = db.session.execute(
        sa.select(
            ParticipantCount.call_id,
            ParticipantCount.category,
            Partner.id,
            Partner.name,
            Partner.country,
            sa.func.sum(ParticipantCount.number),
        )
        .join(Call, Call.id == ParticipantCount.call_id)
        .outerjoin(CallPlace, CallPlace.id == ParticipantCount.place_id)
        .outerjoin(Partner, Partner.id == CallPlace.partner_id)
        .where(counted_in_reach(user, ParticipantCount), ParticipantCount.number > 0, *period)
        .group_by(ParticipantCount.call_id, ParticipantCount.category, Partner.id, Partner.name, Partner.country)
    ).all()
    # The calls apart, once each: a row per count would repeat them hundreds of times.
    call_ids = sorted({row[0] for row in per_state} | {row[0] for row in participating})
    about = {
        call_id: (title, year, opens_at, mobility_type)
        for call_id, title, year, opens_at, mobility_type in db.session.execute(
            sa.select(Call.id, Call.title, Call.academic_year, Call.opens_at, Call.mobility_type).where(
                Call.id.in_(call_ids)
            )
        )
    }

    calls = {}
    for call_id, state, number in per_state:
        entry = calls.get(call_id)
        if entry is None:
            entry = calls[call_id] = CallStateCounts(call_id, about[call_id][0], about[call_id][1], {})
        entry.counts[state] = number
    for entry in calls.values():
        entry.counts = {state: entry.counts[state] for state in STATES if entry.counts.get(state)}
    groups = {grouping: Counter() for grouping in GROUPINGS}
    partner_names = {}
    for call_id, category, partner_id, name, country, number in participating:
        _title, year, _opens_at, mobility_type = about[call_id]
        groups["year"][year] += number
        groups["country"][country] += number
        groups["partner"][partner_id] += number
        partner_names[partner_id] = name
        groups["category"][category or None] += number  # '' in the counts: none
        groups["mobility_type"][mobility_type] += number
    # Newest year first; within a year the latest call first; the id keeps the order stable.
    per_call = sorted(
        calls.values(), key=lambda entry: (entry.academic_year, about[entry.call_id][2], entry.call_id), reverse=True
    )
    participants = {
        grouping: [
            GroupCount(key, partner_names[key] if grouping == "partner" else key, number)
            for key, number in groups[grouping].items()
        ]
        for grouping in GROUPINGS
    }
    return per_call, participants


# --- overdue return reports -----------------------------------------------------------------


@dataclass(frozen=True)
class OverdueReport:
    application_id: int
    full_name_native: str
    full_name_latin: str
    call_title: str
    host: str | None
    host_country: str | None
    actual_return: object  # date
    due_on: object  # date
    days_overdue: int


def overdue_page(scope, today, due_days, limit=None, offset=0):
    """([OverdueReport], how many there are in all): applications in state `returned` whose
    return is more than `due_days` days before `today` — the report was due `due_days` days
    after the return and has not come (a report sent back to the applicant for changes is
    `returned` again, and as late). Most overdue first, `limit` of them from `offset` (None:
    all); one statement. Not limited to the period: a late report is late whatever its
    call's year. The total is 0 when `offset` is beyond the last one."""
    latest_return = today - timedelta(days=due_days + 1)
    query = (
        sa.select(
            Application.id,
            User.full_name_native,
            User.full_name_latin,
            Call.title,
            Partner.name,
            Partner.country,
            Application.actual_return,
            sa.func.count().over().label("total"),
        )
        .select_from(Application)
        .join(User, User.id == Application.applicant_id)
        .join(Call, Call.id == Application.call_id)
        .outerjoin(CallPlace, CallPlace.id == Application.allocated_place_id)
        .outerjoin(Partner, Partner.id == CallPlace.partner_id)
        .where(
            scope,
            Application.state == "returned",
            Application.actual_return.is_not(None),
            Application.actual_return <= latest_return,
        )
        .order_by(Application.actual_return, User.full_name_latin, Application.id)
        .limit(limit)
        .offset(offset or None)
    )
    reports = []
    total = 0
    for application_id, native, latin, call_title, host, country, returned_on, in_all in db.session.execute(query):
        total = in_all
        due_on = returned_on + timedelta(days=due_days)
        reports.append(
            OverdueReport(
                application_id, native, latin, call_title, host, country, returned_on, due_on, (today - due_on).days
            )
        )
    return reports, total


def overdue_reports(scope, today, due_days):
    """Every overdue report (see overdue_page), most overdue first."""
    return overdue_page(scope, today, due_days)[0]
