"""application counts kept by the database: per call, faculty and state, and the
participants also per place and category, moved by triggers as applications change

The review queue's state counts and the dashboard's figures read these tables instead of
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
COUNT_KEY = "call_id, faculty_id, state"
PARTICIPANT_KEY = "call_id, faculty_id, state, place_id, category"
# What the keys are made of: an update of anything else moves nothing.
WATCHED = "state, call_id, faculty_id, allocated_place_id, submitted_at, applicant_id"


def category_of(row):
    return f"COALESCE((SELECT category FROM users WHERE id = {row}.applicant_id), '')"


# A change of an applicant's category moves their participations from the old category's
# rows to the new one's (PostgreSQL's EXCLUDED and SQLite's excluded are the same word).
CATEGORY_MOVED = f"""
    UPDATE participant_counts SET number = participant_counts.number - moved.number
      FROM (SELECT a.call_id AS call_id, COALESCE(a.faculty_id, 0) AS faculty_id, a.state AS state,
                   COALESCE(a.allocated_place_id, 0) AS place_id, count(*) AS number
              FROM applications a
             WHERE a.applicant_id = NEW.id AND a.submitted_at IS NOT NULL AND a.state IN ({HOLDING})
             GROUP BY 1, 2, 3, 4) AS moved
     WHERE participant_counts.call_id = moved.call_id AND participant_counts.faculty_id = moved.faculty_id
       AND participant_counts.state = moved.state AND participant_counts.place_id = moved.place_id
       AND participant_counts.category = COALESCE(OLD.category, '');
    INSERT INTO participant_counts ({PARTICIPANT_KEY}, number)
    SELECT a.call_id, COALESCE(a.faculty_id, 0), a.state, COALESCE(a.allocated_place_id, 0),
           COALESCE(NEW.category, ''), count(*)
      FROM applications a
     WHERE a.applicant_id = NEW.id AND a.submitted_at IS NOT NULL AND a.state IN ({HOLDING})
     GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT ({PARTICIPANT_KEY}) DO UPDATE SET number = participant_counts.number + excluded.number;
"""

RECOUNT = (
    f"INSERT INTO application_counts ({COUNT_KEY}, number) "
    "SELECT a.call_id, COALESCE(a.faculty_id, 0), a.state, count(*) FROM applications a "
    "WHERE a.submitted_at IS NOT NULL GROUP BY 1, 2, 3",
    f"INSERT INTO participant_counts ({PARTICIPANT_KEY}, number) "
    "SELECT a.call_id, COALESCE(a.faculty_id, 0), a.state, COALESCE(a.allocated_place_id, 0), "
    "COALESCE(u.category, ''), count(*) FROM applications a JOIN users u ON u.id = a.applicant_id "
    f"WHERE a.submitted_at IS NOT NULL AND a.state IN ({HOLDING}) GROUP BY 1, 2, 3, 4, 5",
)


def upgrade():
    op.create_table('application_counts',
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('faculty_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=30), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.CheckConstraint('number >= 0', name=op.f('ck_application_counts_number_not_negative')),
    sa.PrimaryKeyConstraint('call_id', 'faculty_id', 'state', name=op.f('pk_application_counts'))
    )
    op.create_table('participant_counts',
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('faculty_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=30), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.CheckConstraint('number >= 0', name=op.f('ck_participant_counts_number_not_negative')),
    sa.PrimaryKeyConstraint('call_id', 'faculty_id', 'state', 'place_id', 'category', name=op.f('pk_participant_counts'))
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()
    for statement in RECOUNT:
        op.execute(statement)


def _postgresql_triggers():
    # One row more (made if missing) or one less (a missing row stays missing: counts emptied
    # before their applications, as a clean-up may do, must not stop the applications' delete).
    op.execute(f"""
CREATE OR REPLACE FUNCTION application_counts_add(a_call integer, a_faculty integer, a_state text, delta integer)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO application_counts ({COUNT_KEY}, number) SELECT a_call, a_faculty, a_state, delta WHERE delta > 0
    ON CONFLICT ({COUNT_KEY}) DO UPDATE SET number = application_counts.number + EXCLUDED.number;
    UPDATE application_counts SET number = number + delta
     WHERE delta < 0 AND ({COUNT_KEY}) = (a_call, a_faculty, a_state);
$$
""")
    op.execute(f"""
CREATE OR REPLACE FUNCTION participant_counts_add(
    a_call integer, a_faculty integer, a_state text, a_place integer, a_category text, delta integer)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO participant_counts ({PARTICIPANT_KEY}, number)
    SELECT a_call, a_faculty, a_state, a_place, a_category, delta WHERE delta > 0
    ON CONFLICT ({PARTICIPANT_KEY}) DO UPDATE SET number = participant_counts.number + EXCLUDED.number;
    UPDATE participant_counts SET number = number + delta
     WHERE delta < 0 AND ({PARTICIPANT_KEY}) = (a_call, a_faculty, a_state, a_place, a_category);
$$
""")
    # Each table's two rows are written in key order (the counts' rows first, then the
    # participants'): two writers moving applications between the same rows in opposite
    # directions take their locks in the same order, and neither waits forever.
    op.execute(f"""
CREATE OR REPLACE FUNCTION application_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_in boolean := false;
    new_in boolean := false;
    old_holds boolean := false;
    new_holds boolean := false;
    old_faculty integer;
    new_faculty integer;
    old_place integer;
    new_place integer;
    old_category text;
    new_category text;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF OLD.submitted_at IS NOT NULL THEN
            old_in := true;
            old_faculty := COALESCE(OLD.faculty_id, 0);
            IF OLD.state IN ({HOLDING}) THEN
                old_holds := true;
                old_place := COALESCE(OLD.allocated_place_id, 0);
                old_category := {category_of('OLD')};
            END IF;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NEW.submitted_at IS NOT NULL THEN
            new_in := true;
            new_faculty := COALESCE(NEW.faculty_id, 0);
            IF NEW.state IN ({HOLDING}) THEN
                new_holds := true;
                new_place := COALESCE(NEW.allocated_place_id, 0);
                new_category := {category_of('NEW')};
            END IF;
        END IF;
    END IF;

    IF old_in AND new_in AND (OLD.call_id, old_faculty, OLD.state) = (NEW.call_id, new_faculty, NEW.state) THEN
        NULL;  -- the same row
    ELSIF old_in AND (NOT new_in OR (OLD.call_id, old_faculty, OLD.state) < (NEW.call_id, new_faculty, NEW.state)) THEN
        PERFORM application_counts_add(OLD.call_id, old_faculty, OLD.state, -1);
        IF new_in THEN
            PERFORM application_counts_add(NEW.call_id, new_faculty, NEW.state, 1);
        END IF;
    ELSE
        IF new_in THEN
            PERFORM application_counts_add(NEW.call_id, new_faculty, NEW.state, 1);
        END IF;
        IF old_in THEN
            PERFORM application_counts_add(OLD.call_id, old_faculty, OLD.state, -1);
        END IF;
    END IF;

    IF old_holds AND new_holds
       AND (OLD.call_id, old_faculty, OLD.state, old_place, old_category)
         = (NEW.call_id, new_faculty, NEW.state, new_place, new_category) THEN
        NULL;
    ELSIF old_holds AND (NOT new_holds
                         OR (OLD.call_id, old_faculty, OLD.state, old_place, old_category)
                          < (NEW.call_id, new_faculty, NEW.state, new_place, new_category)) THEN
        PERFORM participant_counts_add(OLD.call_id, old_faculty, OLD.state, old_place, old_category, -1);
        IF new_holds THEN
            PERFORM participant_counts_add(NEW.call_id, new_faculty, NEW.state, new_place, new_category, 1);
        END IF;
    ELSE
        IF new_holds THEN
            PERFORM participant_counts_add(NEW.call_id, new_faculty, NEW.state, new_place, new_category, 1);
        END IF;
        IF old_holds THEN
            PERFORM participant_counts_add(OLD.call_id, old_faculty, OLD.state, old_place, old_category, -1);
        END IF;
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
    # SQLite writes one transaction at a time: the order of the rows does not matter here.
    add_new = (
        f"INSERT INTO application_counts ({COUNT_KEY}, number) "
        "SELECT NEW.call_id, COALESCE(NEW.faculty_id, 0), NEW.state, 1 WHERE NEW.submitted_at IS NOT NULL "
        f"ON CONFLICT ({COUNT_KEY}) DO UPDATE SET number = number + 1; "
        f"INSERT INTO participant_counts ({PARTICIPANT_KEY}, number) "
        "SELECT NEW.call_id, COALESCE(NEW.faculty_id, 0), NEW.state, COALESCE(NEW.allocated_place_id, 0), "
        f"{category_of('NEW')}, 1 WHERE NEW.submitted_at IS NOT NULL AND NEW.state IN ({HOLDING}) "
        f"ON CONFLICT ({PARTICIPANT_KEY}) DO UPDATE SET number = number + 1;"
    )
    take_old = (
        "UPDATE application_counts SET number = number - 1 WHERE OLD.submitted_at IS NOT NULL "
        f"AND ({COUNT_KEY}) = (OLD.call_id, COALESCE(OLD.faculty_id, 0), OLD.state); "
        "UPDATE participant_counts SET number = number - 1 WHERE OLD.submitted_at IS NOT NULL "
        f"AND OLD.state IN ({HOLDING}) AND ({PARTICIPANT_KEY}) = (OLD.call_id, COALESCE(OLD.faculty_id, 0), "
        f"OLD.state, COALESCE(OLD.allocated_place_id, 0), {category_of('OLD')});"
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
        op.execute("DROP FUNCTION IF EXISTS participant_counts_add(integer, integer, text, integer, text, integer)")
        op.execute("DROP FUNCTION IF EXISTS application_counts_add(integer, integer, text, integer)")
    else:
        for name in ("insert", "delete", "update", "category"):
            op.execute(f"DROP TRIGGER IF EXISTS application_counts_follow_{name}")
    op.drop_table('participant_counts')
    op.drop_table('application_counts')
