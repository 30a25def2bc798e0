"""participant data for the European partner: one row per application holding a place;
no existing row needs one (the participant fills it in)

Revision ID: 90b2affa612b
Revises: 506d14f955b1
Create Date: 2026-12-01 13:57:02.506400

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '90b2affa612b'
down_revision = '506d14f955b1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('participant_data',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('gender', sa.String(length=10), nullable=False),
    sa.Column('nationality', sa.String(length=2), nullable=False),
    sa.Column('isced_code', sa.String(length=4), nullable=False),
    sa.Column('study_cycle', sa.String(length=20), nullable=False),
    sa.Column('fewer_opportunities', sa.Boolean(), nullable=False),
    sa.Column('special_needs', sa.Boolean(), nullable=False),
    sa.Column('previous_mobility_months', sa.Numeric(precision=3, scale=1), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("gender IN ('female', 'male', 'undefined')", name=op.f('ck_participant_data_gender_valid')),
    sa.CheckConstraint("study_cycle IN ('short_cycle', 'bachelor', 'master', 'doctoral', 'not_applicable')", name=op.f('ck_participant_data_study_cycle_valid')),
    sa.CheckConstraint('previous_mobility_months >= 0 AND previous_mobility_months <= 36', name=op.f('ck_participant_data_previous_mobility_months_range')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_participant_data_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_participant_data_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participant_data')),
    sa.UniqueConstraint('application_id', name=op.f('uq_participant_data_application_id'))
    )


def downgrade():
    op.drop_table('participant_data')
