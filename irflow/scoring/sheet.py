"""The score sheet of a call: who may use it, its rows, and checking what an examiner entered.

The sheet page and the CSV import both end in `check_rows` and then operations.save_scores,
so a score typed into the sheet and one read from a file are held to the same rules and
saved the same way: Score rows first, then `record_score` / `mark_absent` through
workflow.fire(), or a recomputed total for a tested applicant whose scores were corrected.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _

from ..extensions import db
from ..models import Application, Faculty, Score, User

# Eligible applicants are scored; tested ones may be corrected until the head decides on them.
# The scores a decision was based on are out of reach: a decided application is in neither
# state. So the sheet stays open after the selection is confirmed, for applicants who reach
# the test later (a resubmission after changes were requested, a late approval).
SHEET_STATES = ("eligible", "tested")
LOWEST, HIGHEST = Decimal(0), Decimal(100)
CENT = Decimal("0.01")

# What saving a row will do.
RECORD = "record"  # every test criterion scored: fires record_score
PARTIAL = "partial"  # scores kept, the applicant stays eligible
ABSENT = "absent"  # fires mark_absent
CORRECT = "correct"  # a tested applicant's scores changed: the total is recomputed
NOTHING = "nothing"  # saving changes nothing


# --- who may use the sheet -------------------------------------------------------------


def assigned_examiner(user, call):
    """An examiner assigned to the call: may enter and correct its scores."""
    return (
        user is not None
        and user.is_authenticated
        and user.has_role("examiner")
        and any(examiner.id == user.id for examiner in call.examiners)
    )


def may_view(user, call):
    """Assigned examiners, and the head (and admin) who oversee every call, read-only."""
    return assigned_examiner(user, call) or (user is not None and user.is_authenticated and user.has_role("head"))


# --- the rows --------------------------------------------------------------------------


def _with_people_and_scores(query):
    # Applicant, faculty and scores in a fixed number of statements, whatever the row count;
    # the applicants' own roles and faculties coordinated are not needed here.
    return query.options(
        db.contains_eager(Application.applicant).lazyload(User.role_rows),
        db.contains_eager(Application.applicant).lazyload(User.coordinated_faculties),
        db.joinedload(Application.faculty),
        db.selectinload(Application.scores),
    )


def _sheet_select(call, *conditions):
    return _with_people_and_scores(
        sa.select(Application)
        .join(Application.applicant)
        .where(Application.call_id == call.id, Application.state.in_(SHEET_STATES), *conditions)
        .order_by(sa.func.lower(User.full_name_latin), Application.id)
    )


def sheet_rows(call, ids=None):
    """Every eligible or tested application of the call (or those of them with `ids`), by
    the applicant's Latin name."""
    conditions = []
    if ids is not None:
        conditions.append(Application.id.in_([number for number in ids if 0 < number <= MAX_ID]))
    return db.session.scalars(_sheet_select(call, *conditions)).unique().all()


PAGE_SIZE = 100
MAX_ID = 2**31 - 1  # an id typed into a form beyond the column's range is no application


@dataclass(frozen=True)
class SheetFilter:
    """Which rows of the sheet a page shows (GET ?faculty=&state=&todo=1&page=)."""

    faculty: int | None = None
    state: str | None = None
    todo: bool = False  # only rows with a test criterion still to score
    page: int = 1

    @classmethod
    def read(cls, args):
        def number(name):
            text = (args.get(name) or "").strip()
            return int(text) if text.isdigit() and 0 < int(text) <= MAX_ID else None

        state = (args.get("state") or "").strip()
        return cls(
            faculty=number("faculty"),
            state=state if state in SHEET_STATES else None,
            todo=(args.get("todo") or "").strip().lower() in {"1", "y", "yes", "on", "true"},
            page=number("page") or 1,
        )

    @property
    def active(self):
        return self.faculty is not None or self.state is not None or self.todo

    def args(self, page=None):
        """The query arguments that give this view back (`page` to another page of it)."""
        page = self.page if page is None else page
        args = {"faculty": self.faculty, "state": self.state, "todo": "1" if self.todo else None}
        if page != 1:
            args["page"] = page
        return {name: value for name, value in args.items() if value is not None}

    def conditions(self, call):
        conditions = []
        if self.faculty is not None:
            conditions.append(Application.faculty_id == self.faculty)
        if self.state is not None:
            conditions.append(Application.state == self.state)
        if self.todo:
            conditions.append(Application.state == "eligible")
            criteria = [criterion.id for criterion in call.test_criteria]
            if criteria:
                scored = (
                    sa.select(sa.func.count(Score.id))
                    .where(Score.application_id == Application.id, Score.criterion_id.in_(criteria))
                    .scalar_subquery()
                )
                conditions.append(scored < len(criteria))
        return conditions


def sheet_page(call, sheet_filter):
    """One page of the sheet's rows under `sheet_filter` (a Flask-SQLAlchemy Pagination); a
    page past the end gives the last one."""
    query = _sheet_select(call, *sheet_filter.conditions(call))
    page = db.paginate(query, page=sheet_filter.page, per_page=PAGE_SIZE, error_out=False, max_per_page=PAGE_SIZE)
    if page.pages and sheet_filter.page > page.pages:
        page = db.paginate(query, page=page.pages, per_page=PAGE_SIZE, error_out=False, max_per_page=PAGE_SIZE)
    return page


def sheet_faculties(call):
    """The faculties of the applicants on the sheet, for its filter."""
    on_sheet = sa.select(Application.faculty_id).where(
        Application.call_id == call.id, Application.state.in_(SHEET_STATES)
    )
    faculties = db.session.scalars(sa.select(Faculty).where(Faculty.id.in_(on_sheet))).all()
    return sorted(faculties, key=lambda faculty: (faculty.name or "").lower())


def call_applications(call):
    """Every application of the call in any state (the import tells an unknown applicant
    from one who is not eligible)."""
    return (
        db.session.scalars(
            _with_people_and_scores(
                sa.select(Application)
                .join(Application.applicant)
                .where(Application.call_id == call.id)
                .order_by(Application.id)
            )
        )
        .unique()
        .all()
    )


def may_mark_absent(application):
    """Only an applicant still to be tested can be marked absent; a tested one has sat the test."""
    return application.state == "eligible"


def scores_by_criterion(application):
    return {score.criterion_id: score for score in application.scores}


# --- one cell --------------------------------------------------------------------------


class CellError(ValueError):
    """A score that cannot be accepted; the message is for the user."""


def parse_score(text):
    """A score from what was typed: 0–100, at most two decimals, a decimal comma allowed.
    Returns None for an empty cell; raises CellError otherwise."""
    text = (text or "").strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise CellError(_("Not a number.")) from None
    if not value.is_finite():
        raise CellError(_("Not a number."))
    if not LOWEST <= value <= HIGHEST:
        raise CellError(_("A score must be from 0 to 100."))
    if value != value.quantize(CENT):
        raise CellError(_("Use at most two decimals."))
    return value.quantize(CENT)


# --- a row -----------------------------------------------------------------------------


@dataclass
class RowInput:
    """What one row asks for.

    values: criterion id -> Decimal, or None where a cell on the sheet was emptied (the
    score is removed). A criterion not in `values` is left as it is (the CSV's empty cells).
    version: the application version the row was shown with; None skips the check.
    """

    application_id: int
    values: dict = field(default_factory=dict)
    absent: bool = False
    version: int | None = None

    @property
    def scored(self):
        return any(value is not None for value in self.values.values())


def score_changes(application, row):
    """{criterion id: new value or None} for the scores this row changes."""
    existing = scores_by_criterion(application)
    changes = {}
    for criterion_id, value in row.values.items():
        current = existing.get(criterion_id)
        if value is None:
            if current is not None:
                changes[criterion_id] = None
        elif current is None or Decimal(current.value) != value:
            changes[criterion_id] = value
    return changes


def plan_row(application, row, test_criteria):
    """What saving `row` does to `application` (RECORD, PARTIAL, ABSENT, CORRECT, NOTHING)."""
    if row.absent:
        return ABSENT
    changes = score_changes(application, row)
    if application.state == "tested":
        return CORRECT if changes else NOTHING
    existing = {criterion_id: score.value for criterion_id, score in scores_by_criterion(application).items()}
    existing.update(changes)
    complete = bool(test_criteria) and all(existing.get(criterion.id) is not None for criterion in test_criteria)
    if complete:
        return RECORD
    return PARTIAL if changes else NOTHING


def row_problems(application, row, examiner, call):
    """Why this row cannot be saved as asked (the cells themselves are already numbers)."""
    problems = []
    if application.call_id != call.id or application.state not in SHEET_STATES:
        problems.append(_("This applicant is not on the score sheet: the application is not eligible for the test."))
        return problems
    if application.applicant_id == examiner.id:
        problems.append(_("This is your own application: another examiner enters its scores."))
        return problems
    if row.absent and row.scored:
        problems.append(_("An applicant marked absent cannot have scores. Clear the scores or the absence."))
    if row.absent and not may_mark_absent(application):
        problems.append(_("This applicant has already been tested and cannot be marked absent."))
    if application.state == "tested" and any(value is None for value in score_changes(application, row).values()):
        problems.append(_("A tested applicant's score cannot be removed, only corrected."))
    return problems


@dataclass
class Check:
    """The outcome of checking rows before anything is written."""

    problems: dict = field(default_factory=dict)  # application id -> [message]
    stale: set = field(default_factory=set)  # application ids changed by someone else
    plans: dict = field(default_factory=dict)  # application id -> RECORD, PARTIAL, ...

    @property
    def ok(self):
        return not self.problems and not self.stale


def check_rows(call, applications, rows, examiner):
    """Check `rows` against `applications` ({id: Application} as now in the database).

    A row whose version differs from the database counts as changed by someone else when
    saving it would change something: an untouched row another examiner scored meanwhile
    is no reason to refuse the whole sheet, but one about to overwrite that work is.
    """
    test_criteria = call.test_criteria
    check = Check()
    for row in rows:
        application = applications.get(row.application_id)
        if application is None:
            # Gone from the sheet since it was shown (withdrawn, cancelled, marked absent...).
            if row.scored or row.absent:
                check.stale.add(row.application_id)
            continue
        plan = plan_row(application, row, test_criteria)
        check.plans[application.id] = plan
        if plan == NOTHING:
            continue
        if row.version is not None and row.version != application.version:
            check.stale.add(application.id)
            continue
        problems = row_problems(application, row, examiner, call)
        if problems:
            check.problems[application.id] = problems
    return check
