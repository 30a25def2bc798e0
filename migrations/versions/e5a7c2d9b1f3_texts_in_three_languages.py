"""texts in three languages: English, Russian and Tajik columns for the texts readers see

Call title, description and test place, criterion names, faculty names, program
descriptions, and a new partner description each get one column per language
(`<field>_en`, `<field>_ru`, `<field>_tg`). The existing texts are English (the demo data
and what the office has entered so far), so each is copied into its `_en` column before
the old column is dropped; nothing is lost. A text that was required must be written in at
least one language; the names that were unique stay unique in each language.

On SQLite the tables are rebuilt (batch mode); migrations/env.py switches foreign keys off
for the run: dropping the old table would otherwise delete, by ON DELETE CASCADE, the rows
that refer to it (a call's places and criteria, a faculty's coordinators).

Revision ID: e5a7c2d9b1f3
Revises: a2ddfd62b3f8
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a7c2d9b1f3'
down_revision = 'a2ddfd62b3f8'
branch_labels = None
depends_on = None

LANGUAGES = ("en", "ru", "tg")

# table: (field, type, was NOT NULL)
TEXTS = {
    "calls": (("title", sa.String(300), True), ("description", sa.Text(), False),
              ("test_place", sa.String(300), False)),
    "criteria": (("name", sa.String(200), True),),
    "faculties": (("name", sa.String(200), True),),
    "programs": (("description", sa.Text(), False),),
}


def _given(field):
    joined = " || ".join(f"COALESCE({field}_{language}, '')" for language in LANGUAGES)
    return f"length({joined}) > 0"


def upgrade():
    for table, fields in TEXTS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for field, type_, _required in fields:
                for language in LANGUAGES:
                    batch_op.add_column(sa.Column(f"{field}_{language}", type_, nullable=True))
        for field, _type, _required in fields:
            op.execute(f"UPDATE {table} SET {field}_en = NULLIF({field}, '')")
    with op.batch_alter_table('partners', schema=None) as batch_op:
        for language in LANGUAGES:
            batch_op.add_column(sa.Column(f"description_{language}", sa.Text(), nullable=True))

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_column('title')
        batch_op.drop_column('description')
        batch_op.drop_column('test_place')
        batch_op.create_check_constraint(batch_op.f('ck_calls_title_given'), _given('title'))
    with op.batch_alter_table('criteria', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_criteria_call_id_name'), type_='unique')
        batch_op.drop_column('name')
        for language in LANGUAGES:
            batch_op.create_unique_constraint(
                batch_op.f(f'uq_criteria_call_id_name_{language}'), ['call_id', f'name_{language}'])
        batch_op.create_check_constraint(batch_op.f('ck_criteria_name_given'), _given('name'))
    with op.batch_alter_table('faculties', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_faculties_name'), type_='unique')
        batch_op.drop_column('name')
        for language in LANGUAGES:
            batch_op.create_unique_constraint(batch_op.f(f'uq_faculties_name_{language}'), [f'name_{language}'])
        batch_op.create_check_constraint(batch_op.f('ck_faculties_name_given'), _given('name'))
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.drop_column('description')


def downgrade():
    """Back to one column per text: the English text, else the Russian, else the Tajik one."""
    with op.batch_alter_table('partners', schema=None) as batch_op:
        for language in LANGUAGES:
            batch_op.drop_column(f"description_{language}")
    for table, fields in TEXTS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for field, type_, _required in fields:
                batch_op.add_column(sa.Column(field, type_, nullable=True))
        for field, _type, _required in fields:
            op.execute(f"UPDATE {table} SET {field} = COALESCE({field}_en, {field}_ru, {field}_tg)")
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_calls_title_given'), type_='check')
        batch_op.alter_column('title', existing_type=sa.String(300), nullable=False)
    with op.batch_alter_table('criteria', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_criteria_name_given'), type_='check')
        for language in LANGUAGES:
            batch_op.drop_constraint(batch_op.f(f'uq_criteria_call_id_name_{language}'), type_='unique')
        batch_op.alter_column('name', existing_type=sa.String(200), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_criteria_call_id_name'), ['call_id', 'name'])
    with op.batch_alter_table('faculties', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_faculties_name_given'), type_='check')
        for language in LANGUAGES:
            batch_op.drop_constraint(batch_op.f(f'uq_faculties_name_{language}'), type_='unique')
        batch_op.alter_column('name', existing_type=sa.String(200), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_faculties_name'), ['name'])
    for table, fields in TEXTS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for field, _type, _required in fields:
                for language in LANGUAGES:
                    batch_op.drop_column(f"{field}_{language}")
