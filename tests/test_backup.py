"""`flask backup` and `flask restore`: a backup restored into an empty database and upload
folder gives the same rows and files; damaged backups, non-empty targets and non-empty
backup directories are refused.

On PostgreSQL (TEST_DATABASE_URL) the backup is a pg_dump of the test database, restored
into a second database created here and dropped afterwards."""

import hashlib
import json
import os
import shutil
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from irflow import create_app
from irflow.extensions import db
from irflow.models import Document, User
from irflow.services.backup import MANIFEST, create_backup, libpq_url, tool_major

from .fixtures.database import empty_tables
from .fixtures.factories import UserFactory, application_in

ON_POSTGRESQL = bool(os.environ.get("TEST_DATABASE_URL"))
needs_postgresql = pytest.mark.skipif(not ON_POSTGRESQL, reason="pg_dump is for PostgreSQL only")
if ON_POSTGRESQL and not shutil.which("pg_dump"):
    pytest.skip("pg_dump is not installed", allow_module_level=True)


def row_counts():
    with db.engine.connect() as connection:
        return {
            name: connection.scalar(sa.select(sa.func.count()).select_from(sa.table(name)))
            for name in sa.inspect(connection).get_table_names()
        }


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def populate(app):
    """Two applications with their documents, each document's file written as an upload is.
    Returns the files written."""
    application_in("submitted")
    application_in("draft")
    UserFactory(roles=["coordinator"])
    written = []
    for number, document in enumerate(db.session.scalars(sa.select(Document)), 1):
        content = b"%PDF-1.4 " + f"document {number} of the backup test".encode() * number
        path = Path(app.config["UPLOAD_FOLDER"]) / document.stored_name
        path.write_bytes(content)
        written.append(path)
        document.size, document.sha256 = len(content), hashlib.sha256(content).hexdigest()
    db.session.commit()
    assert written
    return written


@pytest.fixture
def data(app):
    written = populate(app)
    yield
    for path in written:
        path.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def made_backup(app, tmp_path_factory):
    """One backup of a populated database for the tests that only read or damage it."""
    directory = tmp_path_factory.mktemp("made") / "backup"
    with app.app_context():
        written = populate(app)
        try:
            create_backup(directory)
        finally:
            for path in written:
                path.unlink()
            db.session.remove()
            empty_tables()
    return directory


@pytest.fixture
def backup_dir(made_backup, tmp_path):
    """A copy of the module's backup, this test's to change."""
    return Path(shutil.copytree(made_backup, tmp_path / "backup"))


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        result = runner.invoke(args=[str(arg) for arg in args])
        db.session.expire_all()
        return result

    return invoke


@pytest.fixture(scope="module")
def target_app(app, tmp_path_factory):
    """A second app, to restore into: on PostgreSQL its own database, created and dropped here."""
    if ON_POSTGRESQL:
        url = make_url(os.environ["TEST_DATABASE_URL"]).set(drivername="postgresql+psycopg")
        name = f"{url.database}_restore"
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        database_uri = url.set(database=name).render_as_string(hide_password=False)
    else:
        database_uri = f"sqlite:///{tmp_path_factory.mktemp('restored') / 'restored.sqlite3'}"
    settings = dict(app.config)
    settings.update(
        SQLALCHEMY_DATABASE_URI=database_uri, UPLOAD_FOLDER=str(tmp_path_factory.mktemp("restored") / "uploads")
    )
    restored = create_app(settings)
    yield restored
    with restored.app_context():
        db.engine.dispose()
    if ON_POSTGRESQL:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def target(target_app, tmp_path):
    """The second app with an empty database (no tables at all) and an empty upload folder."""
    with target_app.app_context():
        db.engine.dispose()
        if ON_POSTGRESQL:
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA public"))
        else:
            Path(db.engine.url.database).unlink(missing_ok=True)
    uploads = tmp_path / "restored-uploads"
    uploads.mkdir()
    target_app.config["UPLOAD_FOLDER"] = str(uploads)
    yield target_app
    with target_app.app_context():
        db.session.remove()
        db.engine.dispose()


def restore_into(target_app, directory):
    with target_app.app_context():
        return target_app.test_cli_runner().invoke(args=["restore", str(directory)])


def test_backup_then_restore_gives_the_same_rows_and_files(app, cli, data, target, tmp_path):
    counts = row_counts()
    backup_dir = tmp_path / "backup"

    result = cli("backup", backup_dir)

    assert result.exit_code == 0, result.output
    manifest = json.loads((backup_dir / MANIFEST).read_text())
    assert manifest["tables"] == counts
    assert manifest["database"]["kind"] == db.engine.dialect.name
    assert manifest["database"]["alembic_revision"]
    for entry in manifest["files"]:
        assert sha256(backup_dir / entry["path"]) == entry["sha256"]
    documents = db.session.scalars(sa.select(Document)).all()
    listed = {entry["path"] for entry in manifest["files"]}
    assert {f"uploads/{document.stored_name}" for document in documents} <= listed

    result = restore_into(target, backup_dir)

    assert result.exit_code == 0, result.output
    assert "Every sum and row count matches the backup." in result.output
    with target.app_context():
        assert row_counts() == counts
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == counts["users"]
        for document in db.session.scalars(sa.select(Document)):
            path = Path(target.config["UPLOAD_FOLDER"]) / document.stored_name
            assert sha256(path) == document.sha256
        # The restored database takes new rows (PostgreSQL: its sequences came along).
        UserFactory()
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == counts["users"] + 1


def test_backup_refuses_a_directory_that_is_not_empty(cli, data, tmp_path):
    backup_dir = tmp_path / "backup"
    backup_dir.mkdir()
    (backup_dir / "earlier.txt").write_text("an earlier backup")

    result = cli("backup", backup_dir)

    assert result.exit_code == 1
    assert "not empty" in result.output
    assert sorted(path.name for path in backup_dir.iterdir()) == ["earlier.txt"]


def test_backup_refuses_a_directory_inside_the_upload_folder(app, cli, data):
    inside = Path(app.config["UPLOAD_FOLDER"]) / "backup"

    result = cli("backup", inside)

    assert result.exit_code == 1
    assert "inside the upload folder" in result.output
    assert not inside.exists()


@pytest.mark.parametrize("damaged", ["database", "upload"])
def test_restore_refuses_a_damaged_backup_and_names_the_file(backup_dir, target, damaged):
    manifest = json.loads((backup_dir / MANIFEST).read_text())
    entry = manifest["files"][0] if damaged == "database" else manifest["files"][-1]
    path = backup_dir / entry["path"]
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0xFF
    path.write_bytes(bytes(content))

    result = restore_into(target, backup_dir)

    assert result.exit_code == 1
    assert f"The backup is damaged: {entry['path']} does not match its sha256 sum" in result.output
    with target.app_context():
        assert not any(row_counts().values())
    assert not any(Path(target.config["UPLOAD_FOLDER"]).iterdir())


def test_restore_refuses_a_backup_with_a_file_missing(backup_dir, target):
    entry = json.loads((backup_dir / MANIFEST).read_text())["files"][-1]
    (backup_dir / entry["path"]).unlink()

    result = restore_into(target, backup_dir)

    assert result.exit_code == 1
    assert f"The backup is damaged: {entry['path']} is missing." in result.output


def test_restore_refuses_a_directory_without_manifest(backup_dir, target):
    (backup_dir / MANIFEST).unlink()

    result = restore_into(target, backup_dir)

    assert result.exit_code == 1
    assert f"has no {MANIFEST}" in result.output


def test_restore_refuses_a_manifest_path_outside_the_upload_folder(backup_dir, target, tmp_path):
    manifest = json.loads((backup_dir / MANIFEST).read_text())
    escaping = tmp_path / "escaped.txt"
    escaping.write_text("x")
    manifest["files"].append({"path": "uploads/../../escaped.txt", "size": 1, "sha256": sha256(escaping)})
    (backup_dir / MANIFEST).write_text(json.dumps(manifest))

    result = restore_into(target, backup_dir)

    assert result.exit_code == 1
    assert f"{MANIFEST} cannot be read" in result.output


def test_restore_refuses_a_database_that_is_not_empty(app, cli, data, backup_dir, tmp_path):
    counts = row_counts()
    empty_uploads = tmp_path / "empty-uploads"
    empty_uploads.mkdir()
    app.config["UPLOAD_FOLDER"], uploads = str(empty_uploads), app.config["UPLOAD_FOLDER"]
    try:
        result = cli("restore", backup_dir)
    finally:
        app.config["UPLOAD_FOLDER"] = uploads

    assert result.exit_code == 1
    assert "The database is not empty" in result.output
    assert "users" in result.output
    assert row_counts() == counts
    assert not any(empty_uploads.iterdir())


def test_restore_refuses_an_upload_folder_that_is_not_empty(backup_dir, target):
    present = Path(target.config["UPLOAD_FOLDER"]) / "present.pdf"
    present.write_bytes(b"%PDF-1.4 already here")

    result = restore_into(target, backup_dir)

    assert result.exit_code == 1
    assert "is not empty" in result.output and target.config["UPLOAD_FOLDER"] in result.output
    with target.app_context():
        assert not any(row_counts().values())
    assert [path.name for path in present.parent.iterdir()] == ["present.pdf"]


def test_restore_exits_1_when_the_row_counts_differ_from_the_manifest(backup_dir, target):
    manifest = json.loads((backup_dir / MANIFEST).read_text())
    manifest["tables"]["users"] += 1
    (backup_dir / MANIFEST).write_text(json.dumps(manifest))

    result = restore_into(target, backup_dir)

    assert result.exit_code == 1
    assert (
        f"table users: {manifest['tables']['users'] - 1} rows, the backup has {manifest['tables']['users']}"
        in result.output
    )


def test_libpq_url_drops_the_driver_and_passes_the_password_in_the_environment():
    sqlalchemy_url = make_url("postgresql+psycopg://irflow:s%40cret@db.example:5433/irflow?sslmode=require")

    url, environment = libpq_url(sqlalchemy_url)

    assert url == "postgresql://irflow@db.example:5433/irflow?sslmode=require"
    assert environment["PGPASSWORD"] == "s@cret"


def test_tool_major_reads_pg_dump_versions():
    assert tool_major("pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n") == 15
    assert tool_major("pg_restore (PostgreSQL) 9.6.24\n") == 96
    assert tool_major("something else") is None


@needs_postgresql
def test_backup_names_a_missing_pg_dump(cli, data, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))

    result = cli("backup", tmp_path / "backup")

    assert result.exit_code == 1
    assert "pg_dump is not installed" in result.output


@needs_postgresql
def test_backup_refuses_a_pg_dump_older_than_the_server(cli, data, tmp_path, monkeypatch):
    # What pg_dump 11 (say, left over from an earlier Debian) answers to --version.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    old = bin_dir / "pg_dump"
    old.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 11.22'\n")
    old.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    result = cli("backup", tmp_path / "backup")

    assert result.exit_code == 1
    assert "pg_dump is version 11, older than the PostgreSQL server" in result.output


def modes_under(root):
    return {path: stat.S_IMODE(path.stat().st_mode) for path in [root, *root.rglob("*")]}


def test_every_file_and_folder_of_a_backup_is_for_its_owner_only(app, cli, data, tmp_path):
    """Copied on with `cp -rp` or `rsync -a`, a backup keeps its modes: none may let others
    read the password hashes, the personal data or the uploaded documents."""
    uploads = Path(app.config["UPLOAD_FOLDER"])
    nested = uploads / "kept-apart"
    nested.mkdir()
    try:
        (nested / "letter.pdf").write_bytes(b"%PDF-1.4 a letter")
        for path in [nested, *uploads.iterdir(), *nested.iterdir()]:
            path.chmod(0o755 if path.is_dir() else 0o644)  # uploads readable by others, as they may well be
        backup_dir = tmp_path / "backup"
        umask_before = os.umask(0o022)
        try:
            result = cli("backup", backup_dir)
        finally:
            umask_after = os.umask(umask_before)
    finally:
        shutil.rmtree(nested)

    assert result.exit_code == 0, result.output
    assert umask_after == 0o022  # the process's umask is given back
    modes = modes_under(backup_dir)
    assert backup_dir / "uploads" / "kept-apart" / "letter.pdf" in modes
    assert {path.name for path in modes} >= {MANIFEST, "uploads", "kept-apart", "letter.pdf"}
    for path, mode in modes.items():
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_restored_uploads_get_the_mode_the_upload_folder_gives_its_files(backup_dir, target):
    """Not the backup's owner-only mode: the web server may run as another user of the group."""
    for path in (backup_dir / "uploads").rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)  # as a backup holds them
    umask_before = os.umask(0o022)
    try:
        result = restore_into(target, backup_dir)
    finally:
        os.umask(umask_before)

    assert result.exit_code == 0, result.output
    restored = [path for path in Path(target.config["UPLOAD_FOLDER"]).rglob("*") if path.is_file()]
    assert restored
    for path in restored:
        # irflow/services/storage.py writes uploads with open(..., "xb"): 0o666 less the umask.
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
