"""review queue indexes: the queue order from an index, trigram search on PostgreSQL

The queue is ordered by submitted_at NULLS LAST, id: (submitted_at, id, applicant_id) and
(state, submitted_at, id) give that order without sorting, in all states or in one, and
replace the single-column indexes on submitted_at and state (their prefixes); with the
applicant, a search walks the queue in its order from the index alone.

The search matches lower(name or e-mail) LIKE '%text%'; on PostgreSQL a trigram GIN index
on each of those expressions serves it (pg_trgm, a trusted extension: the database owner
may create it). SQLite has no trigram index and scans, so there is nothing to add there.
The trigram indexes are not in the models (SQLAlchemy cannot make them dialect-only):
migrations/env.py leaves indexes named *_trgm out of the comparison with the models.

Revision ID: 9b4e6f2a1c7d
Revises: 6a3abbf840e7
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '9b4e6f2a1c7d'
down_revision = '6a3abbf840e7'
branch_labels = None
depends_on = None

# (index name, column): the expressions must stay those of irflow.review.queries (lower(column)).
TRIGRAM_INDEXES = (
    ("ix_users_full_name_latin_trgm", "full_name_latin"),
    ("ix_users_full_name_native_trgm", "full_name_native"),
    ("ix_users_email_trgm", "email"),
)


def upgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_submitted_at')
        batch_op.drop_index('ix_applications_state')
        batch_op.create_index('ix_applications_submitted_at_id_applicant_id', ['submitted_at', 'id', 'applicant_id'], unique=False)
        batch_op.create_index('ix_applications_state_submitted_at_id', ['state', 'submitted_at', 'id'], unique=False)

    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in TRIGRAM_INDEXES:
        op.execute(f"CREATE INDEX {name} ON users USING gin (lower({column}) gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, _column in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute("DROP EXTENSION IF EXISTS pg_trgm")

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_state_submitted_at_id')
        batch_op.drop_index('ix_applications_submitted_at_id_applicant_id')
        batch_op.create_index('ix_applications_state', ['state'], unique=False)
        batch_op.create_index('ix_applications_submitted_at', ['submitted_at'], unique=False)
