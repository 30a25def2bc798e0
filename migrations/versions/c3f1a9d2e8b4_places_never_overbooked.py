"""places never overbooked: a guard in the database (PostgreSQL)

The application locks a host's place row before it gives a place or lowers the number
of places, and counts again under that lock. These triggers hold the same rule in the
database itself, for any writer: an application cannot change into a state that holds a
place at a host whose places are all held, nor be written whole in one, nor move its place
to such a host; and a host's places cannot drop below those held. The application
triggers take the same row lock, so two writers cannot both pass the count.
SQLite runs one write transaction at a time, and its tables are rebuilt by batch
migrations (which would drop triggers), so the guard is PostgreSQL's only.

Revision ID: c3f1a9d2e8b4
Revises: 3c5e9b1d2f40
Create Date: 2026-12-01 03:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c3f1a9d2e8b4'
down_revision = '3c5e9b1d2f40'
branch_labels = None
depends_on = None

# The states in which an application holds its allocated place (irflow.workflow.states.HOLDING_STATES
# when this revision was written).
HOLDING = ("'selected', 'confirmed', 'nominated', 'host_accepted', 'abroad', 'returned', "
           "'report_submitted', 'completed'")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"""
CREATE OR REPLACE FUNCTION applications_hold_a_free_place() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    offered integer;
    taken integer;
BEGIN
    -- Wait for whoever else is giving a place at this host or changing its places.
    SELECT places INTO offered FROM call_places WHERE id = NEW.allocated_place_id FOR UPDATE;
    SELECT count(*) INTO taken FROM applications
        WHERE allocated_place_id = NEW.allocated_place_id AND state IN ({HOLDING});
    IF taken > offered THEN
        RAISE EXCEPTION 'host place % would be held % times but offers % places',
            NEW.allocated_place_id, taken, offered
            USING ERRCODE = 'check_violation', CONSTRAINT = 'places_not_overbooked';
    END IF;
    RETURN NULL;
END
$$
""")
    op.execute(f"""
CREATE OR REPLACE FUNCTION call_places_not_below_held() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    taken integer;
BEGIN
    SELECT count(*) INTO taken FROM applications
        WHERE allocated_place_id = NEW.id AND state IN ({HOLDING});
    IF taken > NEW.places THEN
        RAISE EXCEPTION 'host place % offers % places but % are held', NEW.id, NEW.places, taken
            USING ERRCODE = 'check_violation', CONSTRAINT = 'places_not_overbooked';
    END IF;
    RETURN NULL;
END
$$
""")
    # Counted whenever a row comes to hold a place: by a change of state into the holding
    # states (`select`), by a move to another host's place, or written whole (an import).
    # Moving on within the holding states at the same place needs no free place.
    # Two triggers: an INSERT trigger's condition cannot read OLD.
    op.execute(f"""
CREATE TRIGGER applications_hold_a_free_place
    AFTER UPDATE OF state, allocated_place_id ON applications
    FOR EACH ROW WHEN (NEW.allocated_place_id IS NOT NULL AND NEW.state IN ({HOLDING})
                       AND (OLD.state NOT IN ({HOLDING})
                            OR OLD.allocated_place_id IS DISTINCT FROM NEW.allocated_place_id))
    EXECUTE FUNCTION applications_hold_a_free_place()
""")
    op.execute(f"""
CREATE TRIGGER applications_inserted_hold_a_free_place
    AFTER INSERT ON applications
    FOR EACH ROW WHEN (NEW.allocated_place_id IS NOT NULL AND NEW.state IN ({HOLDING}))
    EXECUTE FUNCTION applications_hold_a_free_place()
""")
    op.execute("""
CREATE TRIGGER call_places_not_below_held
    AFTER UPDATE OF places ON call_places
    FOR EACH ROW WHEN (NEW.places < OLD.places) EXECUTE FUNCTION call_places_not_below_held()
""")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS call_places_not_below_held ON call_places")
    op.execute("DROP TRIGGER IF EXISTS applications_inserted_hold_a_free_place ON applications")
    op.execute("DROP TRIGGER IF EXISTS applications_hold_a_free_place ON applications")
    op.execute("DROP FUNCTION IF EXISTS call_places_not_below_held()")
    op.execute("DROP FUNCTION IF EXISTS applications_hold_a_free_place()")
