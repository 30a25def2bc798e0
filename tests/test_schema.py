"""The migrated database matches the models, and the database enforces what the models declare."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy.exc import IntegrityError

from irflow.extensions import db
from irflow.models import Faculty, User, UserRole
from irflow.models.base import include_in_schema_comparison

from .fixtures.factories import PASSWORD_HASH, UserFactory


def test_migrations_match_the_models():
    """The suite's schema comes from the migrations; autogenerate must find nothing to add."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_in_schema_comparison}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "models and migrations differ; add a revision:\n" + "\n".join(map(str, differences))


def test_database_is_at_the_single_head_revision():
    config = current_app.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several heads, merge them: {heads}"
    with db.engine.connect() as connection:
        assert set(MigrationContext.configure(connection).get_current_heads()) == set(heads)


def test_foreign_keys_are_enforced():
    with pytest.raises(IntegrityError):
        db.session.execute(
            sa.insert(User).values(
                email="orphan@example.org",
                password_hash=PASSWORD_HASH,
                full_name_native="Ятим",
                full_name_latin="ORPHAN",
                category="bachelor",
                faculty_id=987654,
                locale="en",
                timezone="Asia/Dushanbe",
                active=True,
                created_at=sa.func.now(),
            )
        )
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_foreign_keys_are_on_for_every_sqlite_connection():
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    for _ in range(2):
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_restrict_keeps_a_faculty_that_has_users():
    user = UserFactory()
    faculty_id = user.faculty_id
    with pytest.raises(IntegrityError):
        db.session.execute(sa.delete(Faculty).where(Faculty.id == faculty_id))
    db.session.rollback()
    assert db.session.get(Faculty, faculty_id) is not None


def test_cascade_removes_roles_with_their_user():
    user = UserFactory(roles=["coordinator"])
    db.session.execute(sa.delete(User).where(User.id == user.id))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserRole)) == 0


def test_check_constraints_are_enforced():
    user = UserFactory()
    with pytest.raises(IntegrityError):
        db.session.execute(sa.update(User).where(User.id == user.id).values(category="professor"))
    db.session.rollback()


def test_email_is_unique():
    UserFactory(email="same@example.org")
    with pytest.raises(IntegrityError):
        UserFactory(email="same@example.org")
    db.session.rollback()
