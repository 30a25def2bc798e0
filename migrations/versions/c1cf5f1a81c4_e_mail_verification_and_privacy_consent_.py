"""e-mail verification and privacy consent times

Accounts that exist already were made before verification existed (by the office, or by
registrations it has lived with): they count as verified since they were created.

Revision ID: c1cf5f1a81c4
Revises: 5eddbc2a028f
Create Date: 2026-12-01 07:03:52.389593

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1cf5f1a81c4'
down_revision = '5eddbc2a028f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('privacy_consent_at', sa.DateTime(timezone=True), nullable=True))

    op.execute("UPDATE users SET email_verified_at = created_at")


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('privacy_consent_at')
        batch_op.drop_column('email_verified_at')
