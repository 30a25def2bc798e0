"""a withdrawn application may be followed by a new one

The unique (call, applicant) pair holds for live applications only: after withdrawing, the
student may apply to the same call again while it is open. Downgrading fails while such
pairs exist.

Revision ID: 1f86bad32b8c
Revises: e5a7c2d9b1f3
Create Date: 2026-12-01 09:26:25.325401

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1f86bad32b8c'
down_revision = 'e5a7c2d9b1f3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_applications_call_id_applicant_id'), type_='unique')
        batch_op.create_index('uq_applications_call_id_applicant_id_live', ['call_id', 'applicant_id'], unique=True, sqlite_where=sa.text("state <> 'withdrawn'"), postgresql_where=sa.text("state <> 'withdrawn'"))


def downgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('uq_applications_call_id_applicant_id_live', sqlite_where=sa.text("state <> 'withdrawn'"), postgresql_where=sa.text("state <> 'withdrawn'"))
        batch_op.create_unique_constraint(batch_op.f('uq_applications_call_id_applicant_id'), ['call_id', 'applicant_id'])
