"""documents kept when removed or replaced

Revision ID: b3d91c0e5f21
Revises: 7a47f41a7a6a
Create Date: 2026-12-01 03:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3d91c0e5f21'
down_revision = '7a47f41a7a6a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deleted_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('replaced_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_documents_deleted_by_id_users'), 'users',
                                    ['deleted_by_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_foreign_key(batch_op.f('fk_documents_replaced_by_id_documents'), 'documents',
                                    ['replaced_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(
            batch_op.f('ck_documents_removal_recorded'),
            'deleted_at IS NOT NULL OR (deleted_by_id IS NULL AND replaced_by_id IS NULL)')


def downgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_documents_removal_recorded'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_documents_replaced_by_id_documents'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_documents_deleted_by_id_users'), type_='foreignkey')
        batch_op.drop_column('replaced_by_id')
        batch_op.drop_column('deleted_by_id')
        batch_op.drop_column('deleted_at')
