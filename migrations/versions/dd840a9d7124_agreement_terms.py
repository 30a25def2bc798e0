"""Agreement terms: direction, mobility types, levels, ISCED field, days for staff,
language requirement and the partner's contact.

Existing agreements keep their rows: direction "both", no types or levels listed (so a call
flags them until the head fills them in), the other new fields empty.

Revision ID: dd840a9d7124
Revises: 90b2affa612b
Create Date: 2026-12-01 13:56:31.011932

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "dd840a9d7124"
down_revision = "90b2affa612b"
branch_labels = None
depends_on = None

CEFR_LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")


def upgrade():
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("days_per_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("direction", sa.String(length=10), server_default="both", nullable=False))
        batch_op.add_column(sa.Column("mobility_types", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("levels", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("isced_code", sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("language_level", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("contact_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("contact_email", sa.String(length=254), nullable=True))
    op.execute("UPDATE agreements SET mobility_types = '[]', levels = '[]'")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.alter_column("mobility_types", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("levels", existing_type=sa.JSON(), nullable=False)
        batch_op.create_check_constraint(
            batch_op.f("ck_agreements_days_not_negative"), "days_per_year IS NULL OR days_per_year >= 0"
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_agreements_direction_valid"), "direction IN ('outgoing', 'incoming', 'both')"
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_agreements_language_level_valid"),
            "language_level IS NULL OR language_level IN (" + ", ".join(f"'{level}'" for level in CEFR_LEVELS) + ")",
        )


def downgrade():
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_agreements_language_level_valid"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_agreements_direction_valid"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_agreements_days_not_negative"), type_="check")
        batch_op.drop_column("contact_email")
        batch_op.drop_column("contact_name")
        batch_op.drop_column("language_level")
        batch_op.drop_column("language")
        batch_op.drop_column("isced_code")
        batch_op.drop_column("levels")
        batch_op.drop_column("mobility_types")
        batch_op.drop_column("direction")
        batch_op.drop_column("days_per_year")
