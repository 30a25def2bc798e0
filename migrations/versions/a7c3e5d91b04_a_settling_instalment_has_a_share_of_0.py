"""a settling instalment has a share of 0 %

Revision ID: a7c3e5d91b04
Revises: ff75f21c8ba6
Create Date: 2026-12-01 17:05:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7c3e5d91b04'
down_revision = 'ff75f21c8ba6'
branch_labels = None
depends_on = None


def _share_from(lowest):
    with op.batch_alter_table('grant_payments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_grant_payments_share_percent_valid'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_grant_payments_share_percent_valid'), f'share_percent >= {lowest} AND share_percent <= 100'
        )


def upgrade():
    _share_from(0)


def downgrade():
    # A settling instalment (share 0) cannot keep its place under the old rule: it goes.
    op.execute('DELETE FROM grant_payments WHERE share_percent = 0')
    _share_from(1)
