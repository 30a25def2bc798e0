"""Migrations that rebuild a table on SQLite (Alembic's batch mode copies it, drops the old
one and renames the copy) must not take the rows that point at it along: with foreign keys
on, dropping `users` would delete every login and role through ON DELETE CASCADE."""

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from irflow.extensions import db

# The revision before "users' language may be unset", which rebuilds the users table.
BEFORE_USERS_REBUILT = "1f86bad32b8c"
NOW = "2026-01-01 00:00:00"


@pytest.fixture
def sqlite_before(app, create_own_app, tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("table rebuilds are SQLite's: PostgreSQL alters tables in place")
    settings = dict(app.config)
    settings.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'before.sqlite3'}")
    own = create_own_app(settings)
    with own.app_context():
        upgrade(revision=BEFORE_USERS_REBUILT)
    yield own
    with own.app_context():
        db.engine.dispose()


def test_rows_pointing_at_a_rebuilt_table_survive_the_upgrade(sqlite_before):
    with sqlite_before.app_context():
        with db.engine.begin() as connection:
            run = lambda statement, **values: connection.execute(sa.text(statement), values)  # noqa: E731
            run("INSERT INTO faculties (id, name_en, code) VALUES (1, 'Faculty of History', 'HIST')")
            run(
                "INSERT INTO users (id, email, password_hash, full_name_native, full_name_latin, category, "
                "faculty_id, locale, timezone, active, created_at) VALUES (1, 'c@example.org', 'x', 'Корбар', "
                "'USER', 'staff', 1, 'tg', 'Asia/Dushanbe', :yes, :now)",
                yes=True,
                now=NOW,
            )
            run("INSERT INTO user_roles (user_id, role) VALUES (1, 'coordinator')")
            run("INSERT INTO coordinator_faculties (user_id, faculty_id) VALUES (1, 1)")
            run(
                "INSERT INTO user_sessions (token_hash, user_id, created_at, last_seen_at, remember) "
                "VALUES ('abc', 1, :now, :now, :no)",
                now=NOW,
                no=False,
            )
        upgrade()
        with db.engine.connect() as connection:
            count = lambda table: connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: E731
            assert [count(table) for table in ("users", "user_roles", "coordinator_faculties", "user_sessions")] == [
                1,
                1,
                1,
                1,
            ]
            assert connection.execute(sa.text("SELECT locale FROM users")).scalar() == "tg"
            assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1, "foreign keys back on"
