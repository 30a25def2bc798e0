"""How many submitted applications there are per call, faculty and state, and how many
participants per place and category, kept by the database as applications change, so that
the review queue's state counts and the dashboard's figures cost the same at 100,000
applications as at 1,000.

- `application_counts`: per call, faculty and state, every submitted application. The
  review queue's state counts and the dashboard's table of calls read it.
- `participant_counts`: the same, narrowed to the participants (HOLDING_STATES), per
  allocated place and applicant's category as well. The dashboard's groupings read it.
  Apart, so that the queue's counts are not read from a row per place and category.

Triggers on `applications` (insert, delete, and an update of what the keys are made of)
and on `users` (a change of category) move one application from its old rows to its new
ones, on PostgreSQL and on SQLite alike; they are created by the migration that made the
tables. Only submitted applications are counted (`submitted_at` set): drafts, and drafts
withdrawn before they were ever submitted, are the applicant's own business, and no
reviewer sees them. A key's "none" values are 0 and '' rather than NULL so that it can be
a primary key on both databases. Rows that drop to 0 stay.

No foreign key to `calls`: writing a count must not take a key-share lock on the call's
row, or a selection and an edit of the same call, each holding the other's next lock,
would deadlock. A count left behind by a deleted call is 0 and joins no call.

`recount()` rebuilds both from the applications (after a bulk load with triggers off, or
if they were ever found wrong: `flask recount-applications`).
"""

from .base import db, sa
from .states import HOLDING_STATES


class ApplicationCount(db.Model):
    __tablename__ = "application_counts"
    __table_args__ = (sa.CheckConstraint("number >= 0", name="number_not_negative"),)

    call_id = sa.Column(sa.Integer, primary_key=True)
    faculty_id = sa.Column(sa.Integer, primary_key=True)  # 0: no faculty
    state = sa.Column(sa.String(30), primary_key=True)
    number = sa.Column(sa.Integer, nullable=False)


class ParticipantCount(db.Model):
    __tablename__ = "participant_counts"
    __table_args__ = (sa.CheckConstraint("number >= 0", name="number_not_negative"),)

    call_id = sa.Column(sa.Integer, primary_key=True)
    faculty_id = sa.Column(sa.Integer, primary_key=True)  # 0: no faculty
    state = sa.Column(sa.String(30), primary_key=True)  # one of HOLDING_STATES
    place_id = sa.Column(sa.Integer, primary_key=True)  # 0: no place allocated
    category = sa.Column(sa.String(30), primary_key=True)  # '': none
    number = sa.Column(sa.Integer, nullable=False)


def recount_statements():
    """The statements that rebuild both tables from the applications."""
    holding = ", ".join(f"'{state}'" for state in sorted(HOLDING_STATES))
    return (
        "DELETE FROM application_counts",
        "DELETE FROM participant_counts",
        "INSERT INTO application_counts (call_id, faculty_id, state, number) "
        "SELECT a.call_id, COALESCE(a.faculty_id, 0), a.state, count(*) FROM applications a "
        "WHERE a.submitted_at IS NOT NULL GROUP BY 1, 2, 3",
        "INSERT INTO participant_counts (call_id, faculty_id, state, place_id, category, number) "
        "SELECT a.call_id, COALESCE(a.faculty_id, 0), a.state, COALESCE(a.allocated_place_id, 0), "
        "COALESCE(u.category, ''), count(*) FROM applications a JOIN users u ON u.id = a.applicant_id "
        f"WHERE a.submitted_at IS NOT NULL AND a.state IN ({holding}) GROUP BY 1, 2, 3, 4, 5",
    )


def recount(connection):
    """Rebuild both tables from the applications, on `connection` (in its transaction)."""
    for statement in recount_statements():
        connection.execute(sa.text(statement))
