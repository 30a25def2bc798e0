"""Test fixtures.

The schema is built by the Alembic migrations (not create_all), so every run also proves
the migrations. TEST_DATABASE_URL runs the suite on that database (PostgreSQL in CI);
by default a temporary SQLite file is used. Each test starts with empty tables.

The test body has its own app context and session; each request made with `client`
runs in a fresh app context of its own, as in production, and the test's session is
expired afterwards so that it reads what the request committed.
"""

import contextvars
import os

import pytest
from flask.globals import _cv_app
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, make_url, text

from irflow import create_app
from irflow.config import TestConfig, database_url
from irflow.extensions import db

from .fixtures.database import close_connections, empty_tables
from .fixtures.web import CSRF_INPUT, ClosingClient

# Fixtures that tests of several modules use, defined next to their helpers.
pytest_plugins = ["tests.fixtures.selection", "tests.fixtures.scoring", "tests.fixtures.browser"]


class IsolatedClient(ClosingClient):
    """A test client whose requests do not share the test's app context (nor its `g`,
    where Flask-Login caches the user, nor its database session)."""

    def open(self, *args, **kwargs):
        def run():
            _cv_app.set(None)
            return super(IsolatedClient, self).open(*args, **kwargs)

        response = contextvars.copy_context().run(run)
        db.session.expire_all()
        return response

    def csrf_token(self, path="/"):
        """A valid CSRF token for this client's session, read from a rendered form."""
        page = self.get(path).get_data(as_text=True)
        match = CSRF_INPUT.search(page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def post_form(self, path, data=None, token_from="/", **kwargs):
        """POST a form with a valid CSRF token, as a browser would."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token(token_from))
        return self.post(path, data=data, **kwargs)


def _compile_catalogues():
    """`make test` compiles the catalogues; this keeps a bare `pytest` run as good."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    import irflow

    for po_path in Path(irflow.__file__).parent.glob("translations/*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            with po_path.open("rb") as po_file:
                catalogue = read_po(po_file)
            partial = mo_path.with_suffix(f".mo.{os.getpid()}")
            with partial.open("wb") as mo_file:
                write_mo(mo_file, catalogue)
            os.replace(partial, mo_path)  # parallel workers may compile at the same time


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    _compile_catalogues()
    workdir = tmp_path_factory.mktemp("irflow")

    server_url = given_url = os.environ.get("TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if server_url and worker:
        # Each parallel worker (pytest -n) empties its tables after every test: one database each.
        server_url = _create_database(server_url, worker)
        os.environ["TEST_DATABASE_URL"] = server_url  # what tests that make a second database read

    class SuiteConfig(TestConfig):
        UPLOAD_FOLDER = str(workdir / "uploads")
        SQLALCHEMY_DATABASE_URI = database_url(server_url) if server_url else f"sqlite:///{workdir / 'test.sqlite3'}"

    application = create_app(SuiteConfig)
    application.test_client_class = IsolatedClient
    with application.app_context():
        _commit_without_disk_flush(db.engine)
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    if server_url and worker:
        _drop_database(given_url, make_url(server_url).database)


def _server(url):
    engine = create_engine(database_url(url), isolation_level="AUTOCOMMIT")
    return engine, engine.url.database


def _create_database(url, worker):
    engine, name = _server(url)
    worker_name = f"{name}_{worker}"
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{worker_name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{worker_name}"'))
    engine.dispose()
    return make_url(database_url(url)).set(database=worker_name).render_as_string(hide_password=False)


def _drop_database(url, name):
    """Drop database `name`, connected to the one `url` names."""
    engine, _ = _server(url)
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _commit_without_disk_flush(engine):
    """A test database need not survive a power cut: commits skip the flush to disk, which
    is most of a test's time on this machine. Locks and visibility are unchanged."""
    statement = "PRAGMA synchronous = OFF" if engine.dialect.name == "sqlite" else "SET synchronous_commit = off"

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()
        if engine.dialect.name != "sqlite":
            dbapi_connection.commit()  # psycopg opened a transaction for the SET

    engine.dispose()


@pytest.fixture(autouse=True)
def _app_context(app):
    with app.app_context():
        yield
        db.session.remove()
        empty_tables()


@pytest.fixture
def create_own_app():
    """create_app for a test that needs an app of its own; its database connections are
    closed after the test."""
    made = []

    def create(config):
        made.append(create_app(config))
        return made[-1]

    yield create
    for own_app in made:
        close_connections(own_app)


@pytest.fixture(scope="session")
def base_url(live_server):
    """Where the browser tests' relative paths go. Defined here, not beside live_server in
    tests/fixtures/browser.py: only a conftest's fixture overrides pytest-playwright's own."""
    return live_server.url


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login_as(client):
    """Log `user` in on `client` the way a real login would: a recorded login whose token
    the session carries."""
    from irflow.auth.sessions import start_session

    def log_in(user):
        token = start_session(user, user_agent="pytest", address="127.0.0.1")
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = token
            session["_fresh"] = True
        return client

    return log_in
