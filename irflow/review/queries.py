"""The coordinator's review queue as queries, kept apart from the view so they can be tested.

Scope: `visible_filter` (who may see an application at all) narrowed to what a reviewer
reviews — the faculties a coordinator coordinates, everything for the head (and admin) —
and never drafts, which are the applicant's own business until submitted.
"""

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, lazyload

from ..applications.policy import visible_filter
from ..models import Application, Call, Faculty, User
from ..models.states import STATES
from ..search import contains_text

# Drafts never reach a reviewer; every other state can be filtered on.
REVIEW_STATES = tuple(state for state in STATES if state != "draft")

SORT_KEYS = ("submitted", "name", "state", "call", "score")
DIRECTIONS = ("asc", "desc")
DEFAULT_SORT = "submitted"  # the queue order: who submitted first is screened first
DEFAULT_DIRECTION = "asc"

# Long enough for any name or e-mail; longer input is refused by the form.
SEARCH_MAX_LENGTH = 100


def review_scope(user):
    """A WHERE clause: the applications `user` reviews."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return sa.false()
    if user.has_role("head"):
        reach = sa.true()
    elif user.has_role("coordinator") and user.coordinated_faculty_ids:
        reach = Application.faculty_id.in_(sorted(user.coordinated_faculty_ids))
    else:
        return sa.false()
    # visible_filter is the one rule of who may see what; the review reach only narrows it.
    return sa.and_(visible_filter(user), reach, Application.state != "draft")


def _search_clause(text):
    """Applicant's Latin or native name or e-mail contains `text`, whatever the case;
    a number alone (also written #123) is the application number."""
    number = text[1:].strip() if text.startswith("#") else text
    if number.isascii() and number.isdigit():
        # Beyond any id, and beyond what an INTEGER column can be compared with.
        return Application.id == int(number) if len(number) <= 9 else sa.false()
    return contains_text((User.full_name_latin, User.full_name_native, User.email), text)


def _nulls_last(column):
    # Portable NULLS LAST: SQLite and PostgreSQL put NULLs at opposite ends by default.
    return sa.case((column.is_(None), 1), else_=0)


def _order_by(sort, direction):
    descending = direction == "desc"

    def directed(column):
        return column.desc() if descending else column.asc()

    if sort == "name":
        keys = [directed(sa.func.lower(User.full_name_latin)), directed(User.full_name_latin)]
    elif sort == "state":
        # Workflow order, not the alphabet: submitted before eligible before tested ...
        position = sa.case({state: index for index, state in enumerate(STATES)}, value=Application.state)
        keys = [directed(position)]
    elif sort == "call":
        keys = [directed(sa.func.lower(Call.title)), directed(Call.id)]
    elif sort == "score":
        keys = [_nulls_last(Application.total_score), directed(Application.total_score)]
    else:
        keys = [_nulls_last(Application.submitted_at), directed(Application.submitted_at)]
    # Ties keep the queue order, and the id makes pages stable.
    return keys + [_nulls_last(Application.submitted_at), Application.submitted_at.asc(), Application.id.asc()]


def review_queries(
    user, call_id=None, state=None, faculty_id=None, text=None, sort=DEFAULT_SORT, direction=DEFAULT_DIRECTION
):
    """(page query, counts query) for `user`'s review queue with these filter values.

    The page query selects Application rows with applicant, call and faculty loaded in the
    same statement, ordered for display. The counts query gives (state, number) rows for the
    same filters except the state filter. A faculty outside the user's reach matches
    nothing: the scope is always applied, whatever the filters say.
    """
    if state is not None and state not in REVIEW_STATES:
        raise ValueError(f"unknown state {state!r}")
    if sort not in SORT_KEYS:
        raise ValueError(f"unknown sort {sort!r}")
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}")

    conditions = [review_scope(user)]
    if call_id is not None:
        conditions.append(Application.call_id == call_id)
    if faculty_id is not None:
        conditions.append(Application.faculty_id == faculty_id)
    text = (text or "").strip()
    if text:
        conditions.append(_search_clause(text))

    counts_query = (
        sa.select(Application.state, sa.func.count(Application.id))
        .join(User, Application.applicant_id == User.id)
        .where(*conditions)
        .group_by(Application.state)
    )

    if state is not None:
        conditions.append(Application.state == state)
    page_query = (
        sa.select(Application)
        .join(User, Application.applicant_id == User.id)
        .join(Call, Application.call_id == Call.id)
        .outerjoin(Faculty, Application.faculty_id == Faculty.id)
        .options(
            # The applicants' roles and faculties coordinated are not shown: not loaded either.
            contains_eager(Application.applicant).options(
                lazyload(User.role_rows), lazyload(User.coordinated_faculties)
            ),
            contains_eager(Application.call),
            contains_eager(Application.faculty),
        )
        .where(*conditions)
        .order_by(*_order_by(sort, direction))
    )
    return page_query, counts_query


def state_counts(rows):
    """{state: number} in workflow order from the rows of the counts query."""
    found = dict(rows)
    return {state: found[state] for state in REVIEW_STATES if found.get(state)}


# The choices are plain rows, not entities: loading every Call and Faculty into the session
# would hide (and so excuse) row-by-row loading of the page's relationships.
def call_choices_query(user):
    """(id, title, academic year) of the calls with applications in `user`'s review scope,
    newest first."""
    in_scope = sa.select(Application.call_id).where(review_scope(user))
    return (
        sa.select(Call.id, Call.title, Call.academic_year)
        .where(Call.id.in_(in_scope))
        .order_by(Call.opens_at.desc(), Call.title, Call.id)
    )


def faculty_choices_query(user):
    """(id, name) of the faculties `user` may filter on: those coordinated, or all for the head."""
    query = sa.select(Faculty.id, Faculty.name).order_by(Faculty.name, Faculty.id)
    if user.has_role("head"):
        return query
    faculty_ids = sorted(user.coordinated_faculty_ids) if user.has_role("coordinator") else []
    return query.where(Faculty.id.in_(faculty_ids))
