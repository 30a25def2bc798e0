"""users' language may be unset until they choose one

Existing accounts keep the language they have: whether it was chosen or the old default
("en") cannot be told apart. The downgrade gives accounts without one the old default.

Revision ID: 6a3abbf840e7
Revises: 1f86bad32b8c
Create Date: 2026-12-01 10:09:36.286388

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6a3abbf840e7'
down_revision = '1f86bad32b8c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('locale',
               existing_type=sa.VARCHAR(length=5),
               nullable=True)


def downgrade():
    op.execute("UPDATE users SET locale = 'en' WHERE locale IS NULL")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('locale',
               existing_type=sa.VARCHAR(length=5),
               nullable=False)
