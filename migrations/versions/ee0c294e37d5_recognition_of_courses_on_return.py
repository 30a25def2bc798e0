"""recognition of courses on return

A new table only: existing reports keep the credits recognised the participant typed.

Revision ID: ee0c294e37d5
Revises: dd840a9d7124
Create Date: 2026-12-01 14:17:11.050039

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ee0c294e37d5"
down_revision = "dd840a9d7124"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "recognitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("host_code", sa.String(length=40), nullable=True),
        sa.Column("host_title", sa.String(length=300), nullable=False),
        sa.Column("host_grade", sa.String(length=40), nullable=False),
        sa.Column("home_grade", sa.String(length=40), nullable=False),
        sa.Column("ects", sa.Numeric(precision=4, scale=1), nullable=False),
        sa.Column("home_course", sa.String(length=300), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("ects >= 0", name=op.f("ck_recognitions_ects_not_negative")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_recognitions_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_recognitions_decided_by_id_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recognitions")),
    )
    with op.batch_alter_table("recognitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recognitions_application_id"), ["application_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_recognitions_decided_by_id"), ["decided_by_id"], unique=False)


def downgrade():
    with op.batch_alter_table("recognitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recognitions_decided_by_id"))
        batch_op.drop_index(batch_op.f("ix_recognitions_application_id"))

    op.drop_table("recognitions")
