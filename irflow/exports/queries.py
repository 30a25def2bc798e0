"""The rows of the selected participants export, as one query iterated in batches.

Who: the head (and admin) export everyone; a coordinator exports the applications of the
faculties they coordinate (the faculty the applicant had when applying, as in review);
everyone else exports nothing (`export_scope` is None, and the route answers 403).

What: applications in HOLDING_STATES — those holding an allocated place: selected,
confirmed, nominated, accepted by the host, abroad, returned, report submitted, completed.
Waiting list, not selected, declined, withdrawn, cancelled and the rest are not exported.

Order: by call (opening time, then id), then rank (unranked last), then Latin name.
Columns and their order: `SELECTED_PARTICIPANT_COLUMNS` in irflow/services/spreadsheets.py.
"""

import sqlalchemy as sa

from ..applications.policy import visible_filter
from ..countries import country_codes, country_name
from ..extensions import db
from ..models import Application, Call, CallPlace, Faculty, Partner, Program, User
from ..models.base import CATEGORIES, MOBILITY_TYPES
from ..models.states import HOLDING_STATES, STATE_LABELS
from ..services.spreadsheets import SELECTED_PARTICIPANT_COLUMNS

BATCH_SIZE = 500  # rows fetched per round trip; memory stays flat at any number of rows
AVERAGE_DAYS_PER_MONTH = 365.25 / 12

# The order the row tuples below are built in; checked against the column definitions.
ROW_KEYS = (
    "number",
    "full_name",
    "full_name_latin",
    "category",
    "faculty",
    "email",
    "phone",
    "program",
    "call",
    "host_institution",
    "host_country",
    "mobility_type",
    "planned_start",
    "planned_end",
    "months",
    "total_score",
    "rank",
    "state",
)
if tuple(column.key for column in SELECTED_PARTICIPANT_COLUMNS) != ROW_KEYS:  # pragma: no cover
    raise RuntimeError("the export rows and SELECTED_PARTICIPANT_COLUMNS disagree on the column order")


def export_scope(user):
    """A WHERE clause limiting applications to those `user` may export, or None if they
    may export nothing at all."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return None
    if user.has_role("head"):
        reach = sa.true()
    elif user.has_role("coordinator"):
        faculty_ids = sorted(user.coordinated_faculty_ids)
        reach = Application.faculty_id.in_(faculty_ids) if faculty_ids else sa.false()
    else:
        return None
    # visible_filter is the one rule of who may see what; the export reach only narrows it.
    return sa.and_(visible_filter(user), reach)


def selected_participants_query(scope, call_id=None, academic_year=None):
    """The SELECT behind the export: one call, or every call of `academic_year`
    (stored form, "2026/2027"), narrowed to `scope`."""
    query = (
        sa.select(
            User.full_name_native,
            User.full_name_latin,
            User.category,
            Faculty.name,
            User.email,
            User.phone,
            Program.name,
            Call.title,
            Partner.name,
            Partner.country,
            Call.mobility_type,
            Application.planned_start,
            Application.planned_end,
            CallPlace.months,
            Application.total_score,
            Application.rank,
            Application.state,
        )
        .select_from(Application)
        .join(User, User.id == Application.applicant_id)
        .join(Call, Call.id == Application.call_id)
        .join(Program, Program.id == Call.program_id)
        .outerjoin(Faculty, Faculty.id == Application.faculty_id)
        .outerjoin(CallPlace, CallPlace.id == Application.allocated_place_id)
        .outerjoin(Partner, Partner.id == CallPlace.partner_id)
        .where(scope, Application.state.in_(sorted(HOLDING_STATES)))
        .order_by(
            Call.opens_at, Call.id, Application.rank.is_(None), Application.rank, User.full_name_latin, Application.id
        )
    )
    if call_id is not None:
        query = query.where(Application.call_id == call_id)
    if academic_year is not None:
        query = query.where(Call.academic_year == academic_year)
    return query


def count_selected_participants(scope, call_id=None, academic_year=None):
    """How many rows the export of these participants holds: a COUNT of the same query."""
    query = selected_participants_query(scope, call_id=call_id, academic_year=academic_year).order_by(None)
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def months_between(start, end):
    """Whole months from `start` to `end`, rounded, at least 1; None without both dates."""
    if start is None or end is None:
        return None
    return max(1, round((end - start).days / AVERAGE_DAYS_PER_MONTH))


def country_names():
    """ISO 3166 alpha-2 code -> country name in the current request's language (or its fallback)."""
    return {code: country_name(code) for code in country_codes()}


def selected_participant_rows(scope, call_id=None, academic_year=None):
    """The export's rows: an iterator of tuples in ROW_KEYS order, fetched BATCH_SIZE at a time.

    Call it inside the request: the labels (category, mobility type, state, host country)
    are taken in the requester's language now. The rows are read later, while the response
    is sent, over a database connection of their own that is closed when the iterator ends
    or is closed; the request's session has been removed by then.

    Months: the allocated place's months; when an application has no allocated place
    (never the case in a holding state, but the column must not lie) the months between
    the planned dates, rounded, or empty without them.
    """
    labels = (
        {key: str(label) for key, label in CATEGORIES.items()},
        {key: str(label) for key, label in MOBILITY_TYPES.items()},
        {key: str(label) for key, label in STATE_LABELS.items()},
        country_names(),
    )
    query = selected_participants_query(scope, call_id=call_id, academic_year=academic_year)
    return _rows(db.engine, query, labels)


def _rows(engine, query, labels):
    categories, mobility_types, states, countries = labels
    with engine.connect() as connection:
        result = connection.execute(query.execution_options(yield_per=BATCH_SIZE))
        for number, (
            native_name,
            latin_name,
            category,
            faculty,
            email,
            phone,
            program,
            call_title,
            host,
            country,
            mobility_type,
            planned_start,
            planned_end,
            place_months,
            total_score,
            rank,
            state,
        ) in enumerate(result, 1):
            yield (
                number,
                native_name,
                latin_name,
                categories.get(category, category),
                faculty,
                email,
                phone,
                program,
                call_title,
                host,
                countries.get(country, country) if country else None,
                mobility_types.get(mobility_type, mobility_type),
                planned_start,
                planned_end,
                place_months if place_months is not None else months_between(planned_start, planned_end),
                total_score,
                rank,
                states.get(state, state),
            )
