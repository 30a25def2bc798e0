"""users anonymised at: when purge-personal-data replaced an account's personal data

The command skips accounts with this set, so an account is never anonymised twice.

Revision ID: 24494215cdb2
Revises: 176f0148648c
Create Date: 2026-12-01 07:08:03.744800

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '24494215cdb2'
down_revision = '176f0148648c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
