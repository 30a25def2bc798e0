"""The coordinator's review queue as queries, kept apart from the view so they can be tested.

Scope: `visible_filter` (who may see an application at all) narrowed to what a reviewer
reviews — the faculties a coordinator coordinates, everything for the head (and admin) —
and only submitted applications: drafts are the applicant's own business until then.
"""

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, lazyload

from ..applications.policy import EVERY_FACULTY, counted_in_reach, faculty_reach, visible_filter
from ..models import Application, ApplicationCount, Call, Faculty, User
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
    """A WHERE clause: the applications `user` reviews — submitted ones in their reach."""
    reach = faculty_reach(user)
    if reach == []:
        return sa.false()
    in_reach = sa.true() if reach is EVERY_FACULTY else Application.faculty_id.in_(reach)
    # visible_filter is the one rule of who may see what; the review reach only narrows it.
    # A submitted application is never a draft again (no transition leads back to draft),
    # and without a condition on the state the queue's order is read from its index alone.
    return sa.and_(visible_filter(user), in_reach, Application.submitted_at.is_not(None))


# What the search looks in; PostgreSQL has a trigram index on lower() of each (migration 9b4e6f2a1c7d).
SEARCHED_COLUMNS = (User.full_name_latin, User.full_name_native, User.email)


def _search_clause(text):
    """(WHERE clause, whether it needs the applicant joined): applicant's Latin or native
    name or e-mail contains `text`, whatever the case; a number alone (also written #123)
    is the application number."""
    number = text[1:].strip() if text.startswith("#") else text
    if number.isascii() and number.isdigit():
        # Beyond any id, and beyond what an INTEGER column can be compared with.
        return (Application.id == int(number) if len(number) <= 9 else sa.false()), False
    # lower(column) LIKE ...: the very expressions of the trigram indexes on PostgreSQL.
    return contains_text(SEARCHED_COLUMNS, text), True


def _order_by(sort, direction):
    """ORDER BY keys; NULLS LAST written as such (not a CASE), so that the queue order is
    the order of the index on (submitted_at, id) and a page is read from it, not sorted."""
    descending = direction == "desc"

    def directed(column):
        return column.desc() if descending else column.asc()

    queue_order = [Application.submitted_at.asc().nulls_last(), Application.id.asc()]
    if sort == "submitted":
        if descending:
            return [Application.submitted_at.desc().nulls_last(), Application.id.desc()]
        return queue_order
    if sort == "name":
        keys = [directed(sa.func.lower(User.full_name_latin)), directed(User.full_name_latin)]
    elif sort == "state":
        # Workflow order, not the alphabet: submitted before eligible before tested ...
        position = sa.case({state: index for index, state in enumerate(STATES)}, value=Application.state)
        keys = [directed(position)]
    elif sort == "call":
        keys = [directed(sa.func.lower(Call.title)), directed(Call.id)]
    else:  # score
        keys = [directed(Application.total_score).nulls_last()]
    # Ties keep the queue order, and the id makes pages stable.
    return keys + queue_order


def queue_columns():
    """The columns of a row of the queue's page: what its table shows. Built per query: the
    call's title and the faculty's name are chosen in SQL in the reader's language."""
    return (
        Application.id,
        Application.version,
        Application.state,
        Application.submitted_at,
        Application.changes_due_at,
        Application.total_score,
        User.full_name_latin,
        User.full_name_native,
        User.category,
        Call.title.label("call_title"),
        Faculty.name.label("faculty_name"),
    )


class ReviewQueue:
    """`user`'s review queue with these filter values, as queries.

    The scope is always applied, whatever the filters say: a faculty outside the user's
    reach matches nothing. Users and calls are joined only where a filter or the sort needs
    them, so the counts and the page's ids are read from the applications table alone."""

    def __init__(
        self, user, call_id=None, state=None, faculty_id=None, text=None, sort=DEFAULT_SORT, direction=DEFAULT_DIRECTION
    ):
        if state is not None and state not in REVIEW_STATES:
            raise ValueError(f"unknown state {state!r}")
        if sort not in SORT_KEYS:
            raise ValueError(f"unknown sort {sort!r}")
        if direction not in DIRECTIONS:
            raise ValueError(f"unknown direction {direction!r}")
        self.user = user
        self.state = state
        self.scope = review_scope(user)
        self.filters = []  # all but the state, which the counts leave out
        self.call_id, self.faculty_id = call_id, faculty_id
        self.search_joins_users = False
        self.searching = False
        if call_id is not None:
            self.filters.append(Application.call_id == call_id)
        if faculty_id is not None:
            self.filters.append(Application.faculty_id == faculty_id)
        text = (text or "").strip()
        if text:
            self.searching = True
            clause, self.search_joins_users = _search_clause(text)
            self.filters.append(clause)
        self.sort = sort
        self.order_by = _order_by(sort, direction)

    def _conditions(self):
        conditions = [self.scope, *self.filters]
        if self.state is not None:
            conditions.append(Application.state == self.state)
        return conditions

    def _joined(self, query):
        if self.search_joins_users or self.sort == "name":
            query = query.join(User, Application.applicant_id == User.id)
        if self.sort == "call":
            query = query.join(Call, Application.call_id == Call.id)
        return query

    def counts_query(self):
        """(state, number) rows for the same filters except the state filter, from the
        counts the database keeps (application_counts). A search is not counted (see
        results.SearchPage): there is no counts query for it."""
        if self.searching:
            raise ValueError("a search is not counted")
        conditions = [counted_in_reach(self.user), ApplicationCount.number > 0]
        if self.call_id is not None:
            conditions.append(ApplicationCount.call_id == self.call_id)
        if self.faculty_id is not None:
            conditions.append(ApplicationCount.faculty_id == self.faculty_id)
        return (
            sa.select(ApplicationCount.state, sa.func.sum(ApplicationCount.number))
            .where(*conditions)
            .group_by(ApplicationCount.state)
        )

    def ids_query(self):
        """The ids of the queue's applications in display order."""
        query = self._joined(sa.select(Application.id).select_from(Application))
        return query.where(*self._conditions()).order_by(*self.order_by)

    def rows_query(self, *extra_conditions):
        """Application rows with applicant, call and faculty loaded in the same statement."""
        return (
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
            .where(*extra_conditions)
            .order_by(*self.order_by)
        )

    def page_rows_query(self, page_number, per_page, one_more=False):
        """One page's rows as plain rows of what the queue shows (queue_columns()): the page's
        ids picked first (from the index where the sort allows, without joining rows that the
        OFFSET skips), then the columns of those rows alone. No entities: building 50 of them,
        with their applicants, calls and faculties, cost more than the rest of the page."""
        ids = self.ids_query().limit(per_page + (1 if one_more else 0)).offset((page_number - 1) * per_page)
        return (
            sa.select(*queue_columns())
            .join(User, Application.applicant_id == User.id)
            .join(Call, Application.call_id == Call.id)
            .outerjoin(Faculty, Application.faculty_id == Faculty.id)
            .where(Application.id.in_(ids))
            .order_by(*self.order_by)
        )

    def full_query(self):
        """Every application of the queue, loaded whole, in display order."""
        return self.rows_query(*self._conditions())

    def next_after_query(self, application_id):
        """The id of the application that follows `application_id` in the queue's order.
        That application counts as in the queue even if it has left the filters since
        (just approved, so no longer "submitted"), provided it is still in the user's scope."""
        position = sa.func.row_number().over(order_by=self.order_by)
        ordered = self._joined(
            sa.select(Application.id.label("id"), position.label("position")).select_from(Application)
        ).where(self.scope)
        matching = self._conditions()[1:]
        if matching:
            ordered = ordered.where(sa.or_(sa.and_(*matching), Application.id == application_id))
        ordered = ordered.subquery()
        current = sa.select(ordered.c.position).where(ordered.c.id == application_id).scalar_subquery()
        return sa.select(ordered.c.id).where(ordered.c.position > current).order_by(ordered.c.position).limit(1)


def review_queries(
    user, call_id=None, state=None, faculty_id=None, text=None, sort=DEFAULT_SORT, direction=DEFAULT_DIRECTION
):
    """(page query, counts query) for `user`'s review queue with these filter values: every
    matching Application row in display order, and (state, number) rows for the same filters
    except the state filter (None for a search, which is not counted)."""
    queue = ReviewQueue(user, call_id, state, faculty_id, text, sort, direction)
    return queue.full_query(), None if queue.searching else queue.counts_query()


def state_counts(rows):
    """{state: number} in workflow order from the rows of the counts query."""
    found = dict(rows)
    return {state: found[state] for state in REVIEW_STATES if found.get(state)}


# The choices are plain rows, not entities: loading every Call and Faculty into the session
# would hide (and so excuse) row-by-row loading of the page's relationships.
def call_choices_query(user):
    """(id, title, academic year) of the calls with applications in `user`'s review scope,
    newest first (read from the kept counts, not from every application)."""
    in_scope = sa.select(ApplicationCount.call_id).where(counted_in_reach(user), ApplicationCount.number > 0)
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
