"""How many submitted applications there are per call, faculty and state, kept by the
database as applications change, so that the review queue's state counts and the
dashboard's figures cost the same at 100,000 applications as at 1,000.

Triggers on `applications` (insert, delete, and an update of what the key is made of)
and on `users` (a change of category) move one application from its old row to its new
one, on PostgreSQL and on SQLite alike; they are created by the migration that made the
table. For the participants (HOLDING_STATES) the row also tells the allocated place and
the applicant's category, which the dashboard's groupings need; for every other state
those are left at their "none" values, which keeps the table to a few rows per call.

Only submitted applications are counted (`submitted_at` set): drafts, and drafts withdrawn
before they were ever submitted, are the applicant's own business, and no reviewer sees
them. The key's "none" values are 0 and '' rather than NULL so that it can be a primary
key on both databases. Rows that drop to 0 stay.

`recount()` rebuilds the table from the applications (after a bulk load with triggers
off, or if it were ever found wrong: `flask recount-applications`).
"""

from .base import db, sa
from .states import HOLDING_STATES


class ApplicationCount(db.Model):
    __tablename__ = "application_counts"
    __table_args__ = (sa.CheckConstraint("number >= 0", name="number_not_negative"),)

    # No foreign key: writing a count must not lock the call's row (a key-share lock), or a
    # selection and an edit of the call, each holding the other's next lock, would deadlock.
    # A count left behind by a deleted call is 0 and joins no call.
    call_id = sa.Column(sa.Integer, primary_key=True)
    faculty_id = sa.Column(sa.Integer, primary_key=True)  # 0: no faculty
    state = sa.Column(sa.String(30), primary_key=True)
    place_id = sa.Column(sa.Integer, primary_key=True)  # 0: not a participant, or no place
    category = sa.Column(sa.String(30), primary_key=True)  # '': not a participant, or none
    number = sa.Column(sa.Integer, nullable=False)


def holding_list():
    """HOLDING_STATES as an SQL list: 'abroad', 'completed', ..."""
    return ", ".join(f"'{state}'" for state in sorted(HOLDING_STATES))


def key_columns(row="a", category="u.category"):
    """The SELECT list of an application's key in application_counts, for the row alias
    `row` and the applicant's category expression `category`."""
    holding = holding_list()
    return (
        f"{row}.call_id, COALESCE({row}.faculty_id, 0), {row}.state, "
        f"CASE WHEN {row}.state IN ({holding}) THEN COALESCE({row}.allocated_place_id, 0) ELSE 0 END, "
        f"CASE WHEN {row}.state IN ({holding}) THEN COALESCE({category}, '') ELSE '' END"
    )


def recount_statements():
    """The statements that rebuild application_counts from the applications."""
    return (
        "DELETE FROM application_counts",
        "INSERT INTO application_counts (call_id, faculty_id, state, place_id, category, number) "
        f"SELECT {key_columns()}, count(*) FROM applications a JOIN users u ON u.id = a.applicant_id "
        "WHERE a.submitted_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5",
    )


def recount(connection):
    """Rebuild application_counts from the applications, on `connection` (in its transaction)."""
    for statement in recount_statements():
        connection.execute(sa.text(statement))
