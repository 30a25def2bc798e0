"""application counts kept by the database: per call, faculty and state (and, for the
participants, place and category), moved by triggers as applications change

The review queue's state counts and the dashboard's figures read this table instead of
every application (irflow/models/application_count.py). The triggers are written for
PostgreSQL and for SQLite; on SQLite a batch migration that rebuilds `applications` or
`users` drops their triggers, so such a migration must create them again
(tests/test_application_counts.py fails if they are missing after the migrations).

Revision ID: 83ca55e49587
Revises: 5f9b727f826c
Create Date: 2026-12-01 12:54:13.823917

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '83ca55e49587'
down_revision = '5f9b727f826c'
branch_labels = None
depends_on = None

# irflow.models.states.HOLDING_STATES when this revision was written.
HOLDING = ("'abroad', 'completed', 'confirmed', 'host_accepted', 'nominated', 'report_submitted', "
           "'returned', 'selected'")
KEY = "call_id, faculty_id, state, place_id, category"


def key_of(row):
    """The application_counts key of the application row `row` (NEW or OLD)."""
    return (
        f"{row}.call_id, COALESCE({row}.faculty_id, 0), {row}.state, "
        f"CASE WHEN {row}.state IN ({HOLDING}) THEN COALESCE({row}.allocated_place_id, 0) ELSE 0 END, "
        f"CASE WHEN {row}.state IN ({HOLDING}) "
        f"THEN COALESCE((SELECT category FROM users WHERE id = {row}.applicant_id), '') ELSE '' END"
    )


# What the key is made of: an update of anything else moves nothing.
WATCHED = "state, call_id, faculty_id, allocated_place_id, submitted_at, applicant_id"

# A change of an applicant's category moves their participations from the old category's
# rows to the new one's (PostgreSQL's EXCLUDED and SQLite's excluded are the same word).
CATEGORY_MOVED = f"""
    UPDATE application_counts SET number = application_counts.number - moved.number
      FROM (SELECT a.call_id AS call_id, COALESCE(a.faculty_id, 0) AS faculty_id, a.state AS state,
                   COALESCE(a.allocated_place_id, 0) AS place_id, count(*) AS number
              FROM applications a
             WHERE a.applicant_id = NEW.id AND a.submitted_at IS NOT NULL AND a.state IN ({HOLDING})
             GROUP BY 1, 2, 3, 4) AS moved
     WHERE application_counts.call_id = moved.call_id AND application_counts.faculty_id = moved.faculty_id
       AND application_counts.state = moved.state AND application_counts.place_id = moved.place_id
       AND application_counts.category = COALESCE(OLD.category, '');
    INSERT INTO application_counts ({KEY}, number)
    SELECT a.call_id, COALESCE(a.faculty_id, 0), a.state, COALESCE(a.allocated_place_id, 0),
           COALESCE(NEW.category, ''), count(*)
      FROM applications a
     WHERE a.applicant_id = NEW.id AND a.submitted_at IS NOT NULL AND a.state IN ({HOLDING})
     GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT ({KEY}) DO UPDATE SET number = application_counts.number + excluded.number;
"""

RECOUNT = (
    f"INSERT INTO application_counts ({KEY}, number) "
    f"SELECT {key_of('a')}, count(*) FROM applications a WHERE a.submitted_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5"
)


def upgrade():
    op.create_table('application_counts',
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('faculty_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=30), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.CheckConstraint('number >= 0', name=op.f('ck_application_counts_number_not_negative')),
    sa.PrimaryKeyConstraint('call_id', 'faculty_id', 'state', 'place_id', 'category', name=op.f('pk_application_counts'))
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()
    op.execute(RECOUNT)


def _postgresql_triggers():
    op.execute(f"""
CREATE OR REPLACE FUNCTION application_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_key application_counts;
    new_key application_counts;
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.submitted_at IS NOT NULL THEN
        SELECT {key_of('OLD')}, 1 INTO old_key;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.submitted_at IS NOT NULL THEN
        SELECT {key_of('NEW')}, 1 INTO new_key;
    END IF;
    IF old_key.call_id IS NOT NULL AND new_key.call_id IS NOT NULL
       AND ({', '.join(f'old_key.{c}' for c in KEY.split(', '))}) = ({', '.join(f'new_key.{c}' for c in KEY.split(', '))}) THEN
        RETURN NULL;
    END IF;
    -- The two rows in key order: two writers moving applications between the same two rows
    -- in opposite directions take their locks in the same order, and neither waits forever.
    IF old_key.call_id IS NOT NULL
       AND (new_key.call_id IS NULL
            OR ({', '.join(f'old_key.{c}' for c in KEY.split(', '))}) < ({', '.join(f'new_key.{c}' for c in KEY.split(', '))})) THEN
        UPDATE application_counts SET number = number - 1
         WHERE ({KEY}) = ({', '.join(f'old_key.{c}' for c in KEY.split(', '))});
        old_key.call_id := NULL;
    END IF;
    IF new_key.call_id IS NOT NULL THEN
        INSERT INTO application_counts ({KEY}, number)
        VALUES ({', '.join(f'new_key.{c}' for c in KEY.split(', '))}, 1)
        ON CONFLICT ({KEY}) DO UPDATE SET number = application_counts.number + 1;
    END IF;
    IF old_key.call_id IS NOT NULL THEN
        UPDATE application_counts SET number = number - 1
         WHERE ({KEY}) = ({', '.join(f'old_key.{c}' for c in KEY.split(', '))});
    END IF;
    RETURN NULL;
END
$$
""")
    op.execute("""
CREATE TRIGGER application_counts_follow
    AFTER INSERT OR DELETE ON applications FOR EACH ROW EXECUTE FUNCTION application_counts_follow()
""")
    op.execute(f"""
CREATE TRIGGER application_counts_follow_update
    AFTER UPDATE OF {WATCHED} ON applications FOR EACH ROW EXECUTE FUNCTION application_counts_follow()
""")
    op.execute(f"""
CREATE OR REPLACE FUNCTION application_counts_follow_category() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{CATEGORY_MOVED}
    RETURN NULL;
END
$$
""")
    op.execute("""
CREATE TRIGGER application_counts_follow_category
    AFTER UPDATE OF category ON users
    FOR EACH ROW WHEN (OLD.category IS DISTINCT FROM NEW.category) EXECUTE FUNCTION application_counts_follow_category()
""")


def _sqlite_triggers():
    add_new = (
        f"INSERT INTO application_counts ({KEY}, number) SELECT {key_of('NEW')}, 1 WHERE NEW.submitted_at IS NOT NULL "
        f"ON CONFLICT ({KEY}) DO UPDATE SET number = number + 1;"
    )
    take_old = (
        f"UPDATE application_counts SET number = number - 1 "
        f"WHERE OLD.submitted_at IS NOT NULL AND ({KEY}) = ({key_of('OLD')});"
    )
    op.execute(f"CREATE TRIGGER application_counts_follow_insert AFTER INSERT ON applications BEGIN {add_new} END")
    op.execute(f"CREATE TRIGGER application_counts_follow_delete AFTER DELETE ON applications BEGIN {take_old} END")
    op.execute(
        f"CREATE TRIGGER application_counts_follow_update AFTER UPDATE OF {WATCHED} ON applications "
        f"BEGIN {take_old} {add_new} END"
    )
    op.execute(
        "CREATE TRIGGER application_counts_follow_category AFTER UPDATE OF category ON users "
        f"WHEN OLD.category IS NOT NEW.category BEGIN {CATEGORY_MOVED} END"
    )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS application_counts_follow_category ON users")
        op.execute("DROP TRIGGER IF EXISTS application_counts_follow_update ON applications")
        op.execute("DROP TRIGGER IF EXISTS application_counts_follow ON applications")
        op.execute("DROP FUNCTION IF EXISTS application_counts_follow_category()")
        op.execute("DROP FUNCTION IF EXISTS application_counts_follow()")
    else:
        for name in ("insert", "delete", "update", "category"):
            op.execute(f"DROP TRIGGER IF EXISTS application_counts_follow_{name}")
    op.drop_table('application_counts')
