"""The selection proposal of a call: ranking, allocation to hosts by the rule, waiting list.

`build_proposal`, `check_decisions`, `host_lines` and `fingerprint` are pure: they read the
objects they are given (applications with their choices, the call with its criteria and
places, the scores, the places already held) and touch no database, so the rule is tested
on its own. `proposal_for(call)` and `confirmed_selection(call)` below load what they need:
the proposal from plain rows (`Candidate`, `ScoreValue`), which read like the ORM objects
for the rule but cost a fraction to load for thousands of applicants.

The rule (DESIGN.md, "Selection"): total = Σ weight·score / Σ weight; ranking by total,
ties to the earlier submission (then the lower id); below the call's minimum → not
selected; in rank order each gets the highest host choice that still has a free place
(places minus those already held in the call); the rest are waitlisted.
"""

import hashlib
import json
from collections import Counter, namedtuple
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import Application, ApplicationChoice, Faculty, Score, TransitionLog, User
from ..models.states import HOLDING_STATES
from ..workflow.allocation import score_breakdown, total_of, total_score

# The three decisions the head makes; each is also the name of the trigger that applies it.
RESULTS = {
    "select": _l("Selected"),
    "waitlist": _l("Waiting list"),
    "not_select": _l("Not selected"),
}
# Applied in this order: selects first, so that every capacity check sees the others.
RESULT_ORDER = ("select", "waitlist", "not_select")
# States an application may still be in on its way to the test: the head is warned.
NOT_YET_TESTED = ("submitted", "changes_requested", "eligible")

Decision = namedtuple("Decision", "result place_id")
# A tested application as the proposal needs it, with the attribute names of Application
# (`call` is the call itself, shared: score_breakdown reads its criteria and grade scale).
Candidate = namedtuple(
    "Candidate",
    "id applicant_id version state submitted_at average_grade total_score faculty_id call choices "
    "name_latin name_native faculty_name",
)
Choice = namedtuple("Choice", "rank call_place_id place")
ScoreValue = namedtuple("ScoreValue", "criterion_id value")
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


@dataclass
class Row:
    """One tested application in the proposal."""

    application: object
    breakdown: list  # [(criterion, weight, value or None)] in the call's order
    total: Decimal | None
    rank: int | None = None  # None while a score is missing: it cannot be ranked
    meets_minimum: bool = False
    result: str | None = None  # proposed: select / waitlist / not_select
    place: object = None  # proposed CallPlace for `select`

    @property
    def id(self):
        return self.application.id

    @property
    def choices(self):
        """The applicant's chosen places, best first."""
        return [choice.place for choice in self.application.choices]

    @property
    def chosen_place_ids(self):
        return [choice.call_place_id for choice in self.application.choices]

    @property
    def decision(self):
        return Decision(self.result, self.place.id if self.place is not None else None)


@dataclass
class HostLine:
    place: object
    places: int
    held: int  # already taken in this call (selected, confirmed, ... completed)
    proposed: int  # selected by this decision
    free: int  # places - held - proposed


@dataclass
class Proposal:
    call: object
    rows: list  # ranked rows in rank order, then the incomplete ones
    held: dict  # {place_id: places already held}
    fingerprint: str
    not_yet_tested: int = 0
    hosts: list = field(default_factory=list)

    @property
    def ranked(self):
        return [row for row in self.rows if row.rank is not None]

    @property
    def incomplete(self):
        return [row for row in self.rows if row.rank is None]

    @property
    def waitlist(self):
        return [row for row in self.ranked if row.result == "waitlist"]

    def decisions(self):
        return {row.id: row.decision for row in self.ranked}

    def counts(self, decisions=None):
        decisions = decisions if decisions is not None else self.decisions()
        return Counter(decision.result for decision in decisions.values())


def _weighted(breakdown):
    return [(criterion, Decimal(criterion.weight), value) for criterion, value in breakdown]


def ranking_key(row):
    """Best total first; ties to the earlier submission, then the lower id (stable)."""
    submitted = row.application.submitted_at or _FAR_FUTURE
    return (-row.total, submitted, row.application.id)


def build_proposal(call, applications, scores_by_application, held_by_place, fingerprint_value=""):
    """The proposal for `call` from its tested `applications`.

    `scores_by_application` is {application_id: [Score]}; `held_by_place` is
    {place_id: places already held in the call}. `fingerprint_value` None: computed from
    these inputs. Returns a Proposal.
    """
    rows = []
    for application in applications:
        breakdown = score_breakdown(application, scores_by_application.get(application.id, []))
        rows.append(Row(application=application, breakdown=_weighted(breakdown), total=total_of(breakdown)))
    if fingerprint_value is None:
        fingerprint_value = fingerprint(
            call, applications, scores_by_application, held_by_place, totals={row.id: row.total for row in rows}
        )
    complete = sorted((row for row in rows if row.total is not None), key=ranking_key)
    incomplete = sorted((row for row in rows if row.total is None), key=lambda row: row.application.id)

    minimum = Decimal(call.minimum_total_score or 0)
    free = {place.id: place.places - held_by_place.get(place.id, 0) for place in call.places}
    for rank, row in enumerate(complete, 1):
        row.rank = rank
        row.meets_minimum = row.total >= minimum
        if not row.meets_minimum:
            row.result = "not_select"
            continue
        for choice in row.application.choices:
            if free.get(choice.call_place_id, 0) > 0:
                free[choice.call_place_id] -= 1
                row.result, row.place = "select", choice.place
                break
        else:
            row.result = "waitlist"

    proposal = Proposal(call=call, rows=complete + incomplete, held=dict(held_by_place), fingerprint=fingerprint_value)
    proposal.hosts = host_lines(proposal, proposal.decisions())
    return proposal


def host_lines(proposal, decisions):
    """Places per host under `decisions` ({application_id: Decision})."""
    chosen = Counter(
        decision.place_id
        for decision in decisions.values()
        if decision.result == "select" and decision.place_id is not None
    )
    lines = []
    for place in proposal.call.places:
        held = proposal.held.get(place.id, 0)
        lines.append(
            HostLine(
                place=place,
                places=place.places,
                held=held,
                proposed=chosen[place.id],
                free=place.places - held - chosen[place.id],
            )
        )
    return lines


def check_decisions(proposal, decisions):
    """Problems with the head's `decisions`: ({application_id: [message]}, [message for the page]).

    A selected applicant needs a host they chose with a free place; nobody below the
    call's minimum may be selected or waitlisted (the minimum is the rule, not advice).
    """
    errors = {}
    general = []
    places = {place.id: place for place in proposal.call.places}
    minimum = Decimal(proposal.call.minimum_total_score or 0)

    def problem(row, message):
        errors.setdefault(row.id, []).append(message)

    if not proposal.ranked:
        general.append(_("There are no tested applications to decide on."))
    if proposal.incomplete:
        general.append(
            _(
                "Some tested applications lack a score for a criterion of the call; "
                "they must be scored before the selection can be confirmed."
            )
        )
    for row in proposal.ranked:
        decision = decisions.get(row.id)
        if decision is None or decision.result not in RESULTS:
            problem(row, _("Choose a result."))
            continue
        if not row.meets_minimum and decision.result != "not_select":
            problem(
                row,
                _(
                    "The total is below the call's minimum of %(minimum)s: this applicant can only be not selected.",
                    minimum=minimum,
                ),
            )
            continue
        if decision.result != "select":
            continue
        if decision.place_id is None:
            problem(row, _("Choose the host for a selected applicant."))
        elif decision.place_id not in row.chosen_place_ids or decision.place_id not in places:
            problem(row, _("The applicant did not choose this host."))

    for line in host_lines(
        proposal, {row_id: decision for row_id, decision in decisions.items() if row_id not in errors}
    ):
        if line.free >= 0:
            continue
        available = line.places - line.held
        for row in proposal.ranked:
            decision = decisions.get(row.id)
            if decision and decision.result == "select" and decision.place_id == line.place.id:
                problem(
                    row,
                    _(
                        "Too many selected for %(host)s: %(count)d selected, free places: %(free)d.",
                        host=line.place.partner.name,
                        count=line.proposed,
                        free=max(available, 0),
                    ),
                )
    return errors, general


def _number(value):
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))


def _moment(value):
    return None if value is None else value.astimezone(UTC).isoformat()


def fingerprint(call, applications, scores_by_application, held_by_place, totals=None):
    """sha256 hex of everything the proposal is made from. Any change in between the page
    and the confirmation (a score, a state, an edit, a place, a criterion) changes it.
    `totals` ({application id: total}) spares computing them again."""
    if totals is None:
        totals = {
            application.id: total_score(application, scores_by_application.get(application.id, []))
            for application in applications
        }
    data = {
        "call": [
            call.id,
            _number(call.minimum_total_score),
            _number(call.grade_scale),
            _moment(call.selection_confirmed_at),
        ],
        "criteria": [[criterion.id, criterion.source, _number(criterion.weight)] for criterion in call.criteria],
        "places": [
            [place.id, place.places, held_by_place.get(place.id, 0)]
            for place in sorted(call.places, key=lambda place: place.id)
        ],
        "applications": [
            [
                application.id,
                application.version,
                application.state,
                _moment(application.submitted_at),
                _number(application.average_grade),
                _number(application.total_score),
                _number(totals[application.id]),
                [choice.call_place_id for choice in application.choices],
                sorted(
                    [score.criterion_id, _number(score.value)]
                    for score in scores_by_application.get(application.id, [])
                ),
            ]
            for application in sorted(applications, key=lambda application: application.id)
        ],
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


# --- Loading from the database -------------------------------------------------------------


def held_places_of(call):
    """{place_id: applications of `call` holding that place}."""
    rows = db.session.execute(
        sa.select(Application.allocated_place_id, sa.func.count(Application.id))
        .where(
            Application.call_id == call.id,
            Application.state.in_(HOLDING_STATES),
            Application.allocated_place_id.is_not(None),
        )
        .group_by(Application.allocated_place_id)
    ).all()
    return dict(rows)


def _scores_of(application_ids):
    scores = {}
    if application_ids:
        for score in db.session.scalars(sa.select(Score).where(Score.application_id.in_(application_ids))):
            scores.setdefault(score.application_id, []).append(score)
    return scores


def _applications_of(call, *conditions):
    # The applicants' own roles and coordinated faculties are never needed here.
    return db.session.scalars(
        sa.select(Application)
        .where(Application.call_id == call.id, *conditions)
        .options(
            selectinload(Application.choices),
            joinedload(Application.faculty),
            joinedload(Application.applicant).lazyload(User.role_rows),
            joinedload(Application.applicant).lazyload(User.coordinated_faculties),
        )
        .order_by(Application.id)
    ).all()


def candidates_of(call):
    """(the call's tested applications as Candidates by id, {application id: [ScoreValue]}):
    plain rows in a fixed number of statements, whatever their number."""
    tested = sa.and_(Application.call_id == call.id, Application.state == "tested")
    places = {place.id: place for place in call.places}
    choices = {}
    for application_id, rank, place_id in db.session.execute(
        sa.select(ApplicationChoice.application_id, ApplicationChoice.rank, ApplicationChoice.call_place_id)
        .join(Application, Application.id == ApplicationChoice.application_id)
        .where(tested)
        .order_by(ApplicationChoice.application_id, ApplicationChoice.rank)
    ):
        choices.setdefault(application_id, []).append(Choice(rank, place_id, places.get(place_id)))
    scores = {}
    for application_id, criterion_id, value in db.session.execute(
        sa.select(Score.application_id, Score.criterion_id, Score.value)
        .join(Application, Application.id == Score.application_id)
        .where(tested)
    ):
        scores.setdefault(application_id, []).append(ScoreValue(criterion_id, value))
    faculties = {
        faculty.id: faculty.name
        for faculty in db.session.scalars(
            sa.select(Faculty).where(Faculty.id.in_(sa.select(Application.faculty_id).where(tested)))
        )
    }
    rows = db.session.execute(
        sa.select(
            Application.id,
            Application.applicant_id,
            Application.version,
            Application.state,
            Application.submitted_at,
            Application.average_grade,
            Application.total_score,
            Application.faculty_id,
            User.full_name_latin,
            User.full_name_native,
        )
        .join(User, User.id == Application.applicant_id)
        .where(tested)
        .order_by(Application.id)
    )
    candidates = [
        Candidate(
            *row[:8],
            call=call,
            choices=choices.get(row.id, []),
            name_latin=row.full_name_latin,
            name_native=row.full_name_native,
            faculty_name=faculties.get(row.faculty_id),
        )
        for row in rows
    ]
    return candidates, scores


def proposal_for(call):
    """The proposal for `call` as the database holds it now."""
    applications, scores = candidates_of(call)
    held = held_places_of(call)
    proposal = build_proposal(call, applications, scores, held, fingerprint_value=None)
    proposal.not_yet_tested = db.session.scalar(
        sa.select(sa.func.count(Application.id)).where(
            Application.call_id == call.id, Application.state.in_(NOT_YET_TESTED)
        )
    )
    return proposal


@dataclass
class DecidedRow:
    """An application as decided at the confirmation, with what became of it since."""

    application: object
    breakdown: list
    total: Decimal | None
    rank: int
    result: str | None  # the decision recorded at the confirmation
    place: object  # the host allocated at the confirmation (None unless selected)


@dataclass
class ConfirmedSelection:
    call: object
    rows: list  # in rank order
    waitlist: list  # applications waitlisted now, in the order places are offered
    hosts: list  # HostLine per place as of now (proposed = 0)
    tested_since: list  # applications tested after the confirmation, not yet decided, best total first

    @property
    def decided_waitlist(self):
        return [row for row in self.rows if row.result == "waitlist"]

    def counts(self):
        return Counter(row.result for row in self.rows)


def confirmed_selection(call):
    """The confirmed decision of `call` (its ranked applications, with the result each got
    at the confirmation, read from the timeline) and the waiting list as it is now."""
    applications = _applications_of(call, Application.rank.is_not(None))
    applications = sorted(applications, key=lambda application: (application.rank, application.id))
    ids = [application.id for application in applications]
    scores = _scores_of(ids)
    decided = {}
    if ids:
        for log in db.session.scalars(
            sa.select(TransitionLog)
            .where(
                TransitionLog.application_id.in_(ids),
                TransitionLog.from_state == "tested",
                TransitionLog.trigger.in_(RESULT_ORDER),
            )
            .order_by(TransitionLog.id)
        ):
            decided.setdefault(log.application_id, log.trigger)
    rows = []
    for application in applications:
        result = decided.get(application.id)
        rows.append(
            DecidedRow(
                application=application,
                breakdown=_weighted(score_breakdown(application, scores.get(application.id, []))),
                total=application.total_score,
                rank=application.rank,
                result=result,
                place=application.allocated_place if result == "select" else None,
            )
        )
    waitlist = db.session.scalars(
        sa.select(Application)
        .where(Application.call_id == call.id, Application.state == "waitlisted")
        .options(selectinload(Application.choices))
        .order_by(Application.rank.is_(None), Application.rank, Application.submitted_at, Application.id)
    ).all()
    held = held_places_of(call)
    hosts = [
        HostLine(
            place=place,
            places=place.places,
            held=held.get(place.id, 0),
            proposed=0,
            free=place.places - held.get(place.id, 0),
        )
        for place in call.places
    ]
    # Late ones (a resubmission after changes were requested, a late approval): the head
    # decides on each from its application page, against the places free now.
    tested_since = sorted(
        _applications_of(call, Application.state == "tested"),
        key=lambda application: (application.total_score is None, -(application.total_score or 0), application.id),
    )
    return ConfirmedSelection(call=call, rows=rows, waitlist=waitlist, hosts=hosts, tested_since=tested_since)
