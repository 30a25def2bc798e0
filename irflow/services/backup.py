"""Backup and restore of the database and the upload folder (`flask backup`, `flask restore`).

A backup is a directory:

    manifest.json      what is in it: database kind, Alembic revision, when, the sha256 and
                       size of every file, the row count of every table
    database.sqlite3   SQLite: a copy made with SQLite's online backup API
    database.dump      PostgreSQL: `pg_dump --format=custom`
    uploads/...        every file of UPLOAD_FOLDER

Consistency: the database copy is one snapshot (SQLite's backup API copies under a read
lock; pg_dump runs in the snapshot the row counts were taken in). The uploads are copied
after it, so every file a row of the copy refers to is there (files are written before
their row is committed); files uploaded meanwhile come along too, which does no harm.
The manifest is written last: a directory without one is not a backup.

Every file of a backup is its owner's only (0600, folders 0700), so that a copy made with
`cp -rp` or `rsync -a` shows no one else the password hashes, personal data or documents.
A restore gives the upload files the mode the upload folder gives new uploads.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import make_url

from ..extensions import db
from ..models.base import utcnow

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from sqlalchemy.engine import Connection

# A backup's manifest.json, as read or written.
Manifest = dict[str, Any]

MANIFEST = "manifest.json"
FORMAT = 1
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
UPLOADS = "uploads"
CHUNK = 1024 * 1024
OWNER_ONLY_FILE = 0o600
OWNER_ONLY_FOLDER = 0o700
# Tables whose rows do not make a database "in use": a migrated, empty schema has them.
BOOKKEEPING_TABLES = {"alembic_version"}


class BackupError(RuntimeError):
    """The backup or restore was refused or failed; the message says why, for the operator."""


@dataclass
class RestoreReport:
    database_kind: str
    files: int = 0
    tables: int = 0
    rows: int = 0
    mismatches: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- backup ---------------------------------------------------------------------------------


def create_backup(target: str | os.PathLike[str]) -> Manifest:
    """Write a backup of the app's database and upload folder into `target` (new or empty).
    Returns the manifest."""
    target = Path(target).absolute()
    uploads_source = Path(current_app.config["UPLOAD_FOLDER"]).absolute()
    _check_backup_target(target, uploads_source)
    kind = _database_kind()
    pg_dump = _pg_tool("pg_dump") if kind == "postgresql" else None
    created = not target.exists()
    # Everything written from here on, by us or by pg_dump, is created for the owner only; the
    # explicit chmods below hold even where a file system ignores the umask. A `flask backup`
    # process runs nothing else, so changing its umask for a while touches no other writer.
    umask = os.umask(0o077)
    try:
        target.mkdir(parents=True, exist_ok=True)
        target.chmod(OWNER_ONLY_FOLDER)
        try:
            return _write_backup(target, kind, pg_dump, uploads_source)
        except BaseException:
            # Leave the directory as it was found (empty or absent) so that the next run may use it.
            for path in target.iterdir():
                shutil.rmtree(path) if path.is_dir() else path.unlink()
            if created:
                target.rmdir()
            raise
    finally:
        os.umask(umask)


def _write_backup(target: Path, kind: str, pg_dump: str | None, uploads_source: Path) -> Manifest:
    database_file = target / DATABASE_FILES[kind]
    if kind == "sqlite":
        dump_major = None
        _backup_sqlite(database_file)
        tables, revision = _counts_in_sqlite_file(database_file)
    else:
        dump_major, tables, revision = _backup_postgresql(database_file, pg_dump)
    database_file.chmod(OWNER_ONLY_FILE)

    files = [_file_entry(target, database_file)]
    for source in _files_under(uploads_source):
        relative = source.relative_to(uploads_source)
        copy = target / UPLOADS / relative
        _make_owner_only_folders(target, copy.parent)
        try:
            digest, size = _copy_and_hash(source, copy, mode=OWNER_ONLY_FILE)
        except FileNotFoundError:
            continue  # deleted since it was listed (with its row, after the database copy was taken)
        files.append(
            {"path": (PurePosixPath(UPLOADS) / relative.as_posix()).as_posix(), "size": size, "sha256": digest}
        )

    manifest = {
        "format": FORMAT,
        "created_at": utcnow().isoformat(timespec="seconds"),
        "database": {
            "kind": kind,
            "file": database_file.name,
            "alembic_revision": revision,
            "pg_dump_version": dump_major,
        },
        "tables": tables,
        "files": files,
    }
    partial = target / (MANIFEST + ".partial")
    partial.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    partial.chmod(OWNER_ONLY_FILE)
    os.replace(partial, target / MANIFEST)
    return manifest


def _make_owner_only_folders(root: Path, folder: Path) -> None:
    """mkdir -p of `folder` under `root`, each folder made or found 0700."""
    folder.mkdir(parents=True, exist_ok=True)
    while folder != root:
        folder.chmod(OWNER_ONLY_FOLDER)
        folder = folder.parent


def _check_backup_target(target: Path, uploads_source: Path) -> None:
    if target.exists() and not target.is_dir():
        raise BackupError(f"{target} exists and is not a directory.")
    if target.is_dir() and any(target.iterdir()):
        raise BackupError(
            f"{target} is not empty; a backup is written into a new or empty directory only "
            "(an earlier backup is never overwritten)."
        )
    if target == uploads_source or uploads_source in target.parents:
        raise BackupError(f"{target} is inside the upload folder {uploads_source}; choose a directory outside it.")


def _database_kind() -> str:
    name = db.engine.dialect.name
    if name not in DATABASE_FILES:
        raise BackupError(f"Backups of {name} databases are not supported (SQLite and PostgreSQL are).")
    return name


def _backup_sqlite(database_file: Path) -> None:
    if _sqlite_path() is None:
        raise BackupError("The database is an in-memory SQLite database; there is nothing lasting to back up.")
    with db.engine.connect() as connection:
        source = connection.connection.dbapi_connection
        copy = sqlite3.connect(database_file)
        try:
            # One step: the whole copy is made under one read lock, hence one snapshot.
            source.backup(copy)
        finally:
            copy.close()


def _counts_in_sqlite_file(path: Path) -> tuple[dict[str, int], str | None]:
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return _row_counts(connection), _revision(connection)
    finally:
        engine.dispose()


def _backup_postgresql(database_file: Path, pg_dump: str) -> tuple[int, dict[str, int], str | None]:
    url, environment = libpq_url(db.engine.url)
    # Counts and dump from the same snapshot: the transaction exporting it stays open until
    # pg_dump has taken it over.
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection, connection.begin():
        dump_major = _check_tool_version(pg_dump, _server_major(connection), "older than the PostgreSQL server")
        snapshot = connection.scalar(sa.text("SELECT pg_export_snapshot()"))
        tables = _row_counts(connection)
        revision = _revision(connection)
        _run(
            [
                pg_dump,
                "--format=custom",
                "--no-password",
                f"--snapshot={snapshot}",
                f"--file={database_file}",
                f"--dbname={url}",
            ],
            environment,
            "pg_dump",
        )
    return dump_major, tables, revision


# --- restore --------------------------------------------------------------------------------


def verify_backup(source: str | os.PathLike[str]) -> Manifest:
    """The manifest of the backup in `source`, after checking every file's size and sum."""
    source = Path(source).absolute()
    manifest = _read_manifest(source)
    for entry in manifest["files"]:
        path = source / entry["path"]
        if not path.is_file():
            raise BackupError(f"The backup is damaged: {entry['path']} is missing.")
        if path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
            raise BackupError(f"The backup is damaged: {entry['path']} does not match its sha256 sum in {MANIFEST}.")
    return manifest


def restore_backup(source: str | os.PathLike[str]) -> RestoreReport:
    """Restore the backup in `source` into the app's database and upload folder, which must
    both be empty; then check the restored files and row counts against the manifest."""
    source = Path(source).absolute()
    manifest = verify_backup(source)
    kind = _database_kind()
    if manifest["database"]["kind"] != kind:
        raise BackupError(f"The backup is of a {manifest['database']['kind']} database; this app uses {kind}.")
    uploads_target = Path(current_app.config["UPLOAD_FOLDER"]).absolute()
    _check_database_is_empty(manifest)
    if uploads_target.exists() and any(uploads_target.iterdir()):
        raise BackupError(f"The upload folder {uploads_target} is not empty; restore into an empty folder only.")
    if kind == "postgresql":
        pg_restore = _pg_tool("pg_restore")
        with db.engine.connect() as connection:
            server_major = _server_major(connection)
        _check_tool_version(
            pg_restore,
            max(server_major, manifest["database"]["pg_dump_version"] or 0),
            "older than the PostgreSQL server or the pg_dump that wrote the backup",
        )

    database_file = source / manifest["database"]["file"]
    db.session.remove()
    db.engine.dispose()  # no pooled connection may hold on to the old, empty database
    if kind == "sqlite":
        _restore_sqlite(database_file)
    else:
        _restore_postgresql(database_file, pg_restore)
    db.engine.dispose()

    report = RestoreReport(database_kind=kind)
    uploads = [entry for entry in manifest["files"] if entry["path"] != manifest["database"]["file"]]
    for entry in uploads:
        relative = _upload_relative_path(entry["path"])
        copy = uploads_target / relative
        copy.parent.mkdir(parents=True, exist_ok=True)
        _copy_and_hash(source / entry["path"], copy)
        # Read back what landed on disk, not what was meant to be written.
        if copy.stat().st_size != entry["size"] or _sha256(copy) != entry["sha256"]:
            report.mismatches.append(f"{entry['path']}: the restored copy does not match its sha256 sum.")
        report.files += 1

    with db.engine.connect() as connection:
        counts = _row_counts(connection)
        revision = _revision(connection)
    for table, expected in sorted(manifest["tables"].items()):
        actual = counts.get(table)
        if actual is None:
            report.mismatches.append(f"table {table}: missing after the restore (the backup has {expected} rows).")
        elif actual != expected:
            report.mismatches.append(f"table {table}: {actual} rows, the backup has {expected}.")
        else:
            report.tables += 1
            report.rows += actual
    for table in sorted(set(counts) - set(manifest["tables"])):
        report.mismatches.append(f"table {table}: in the database but not in the backup.")
    heads = _code_heads()
    if revision and heads and revision not in heads:
        report.notes.append(
            f"The backup's schema is at revision {revision}, this code's at {', '.join(heads)}: "
            "run `flask --app wsgi db upgrade`."
        )
    return report


def _read_manifest(source: Path) -> Manifest:
    path = source / MANIFEST
    if not source.is_dir():
        raise BackupError(f"{source} is not a directory.")
    if not path.is_file():
        raise BackupError(f"{source} has no {MANIFEST}: it is not a backup, or the backup did not finish.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
        database = manifest["database"]
        valid = (
            manifest.get("format") == FORMAT
            and isinstance(manifest["tables"], dict)
            and database["kind"] in DATABASE_FILES
            and database["file"] == DATABASE_FILES[database["kind"]]
            and any(entry["path"] == database["file"] for entry in files)
        )
        for entry in files:
            valid = valid and isinstance(entry["size"], int) and re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])
            if entry["path"] != database["file"]:
                _upload_relative_path(entry["path"])
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BackupError(f"The backup is damaged: {MANIFEST} cannot be read ({error}).") from None
    if not valid:
        raise BackupError(f"The backup is damaged: {MANIFEST} is not a manifest of this version of irflow.")
    return manifest


def _upload_relative_path(manifest_path: str) -> Path:
    """The path under the upload folder of a manifest entry, refusing any that would leave it."""
    path = PurePosixPath(manifest_path)
    parts = path.parts
    if path.is_absolute() or len(parts) < 2 or parts[0] != UPLOADS or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"unexpected path {manifest_path!r}")
    return Path(*parts[1:])


def _check_database_is_empty(manifest: Manifest) -> None:
    with db.engine.connect() as connection:
        counts = _row_counts(connection)
    # Users first: the surest sign of a database in use.
    in_use = sorted(
        (table for table, rows in counts.items() if rows and table not in BOOKKEEPING_TABLES),
        key=lambda table: (table != "users", table),
    )
    if in_use:
        listed = ", ".join(f"{table}: {counts[table]} rows" for table in in_use[:4])
        raise BackupError(
            f"The database is not empty ({listed}{', …' if len(in_use) > 4 else ''}); "
            "restore into a new, empty database only."
        )
    foreign = sorted(set(counts) - set(manifest["tables"]))
    if foreign:
        raise BackupError(
            f"The database has tables the backup has not ({', '.join(foreign)}); restore into a new, empty database."
        )


def _restore_sqlite(database_file: Path) -> None:
    path = _sqlite_path()
    if path is None:
        raise BackupError("The database is an in-memory SQLite database; set DATABASE_URL to a file to restore into.")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    backup = sqlite3.connect(database_file)
    target = sqlite3.connect(path)
    try:
        backup.backup(target)  # replaces the target's pages (an empty schema at most) as a whole
    finally:
        target.close()
        backup.close()


def _restore_postgresql(database_file: Path, pg_restore: str) -> None:
    url, environment = libpq_url(db.engine.url)
    # --clean --if-exists: a freshly migrated, empty schema is replaced; in one transaction,
    # so a failure leaves the database as it was.
    _run(
        [
            pg_restore,
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            "--clean",
            "--if-exists",
            "--no-password",
            f"--dbname={url}",
            str(database_file),
        ],
        environment,
        "pg_restore",
    )


# --- shared ---------------------------------------------------------------------------------


def libpq_url(sqlalchemy_url: str | sa.engine.URL) -> tuple[str, dict[str, str]]:
    """The URL for pg_dump/pg_restore (no `+psycopg`) and their environment: the password
    goes in PGPASSWORD, never on a command line others can read in `ps`."""
    url = make_url(str(sqlalchemy_url)) if not isinstance(sqlalchemy_url, sa.engine.URL) else sqlalchemy_url
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    # URL.set() keeps a password given None; build the URL anew without one.
    url = sa.engine.URL.create(
        "postgresql", username=url.username, host=url.host, port=url.port, database=url.database, query=url.query
    )
    return url.render_as_string(hide_password=False), environment


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed (or not on PATH); install the PostgreSQL client "
            "of the server's major version (Debian: postgresql-client)."
        )
    return path


def _server_major(connection: Connection) -> int:
    number = int(connection.scalar(sa.text("SHOW server_version_num")))
    return number // 10000 if number >= 100000 else number // 100


def tool_major(version_output: str) -> int | None:
    """15 from "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"; 9 from "... 9.6.24"."""
    match = re.search(r"\(PostgreSQL\) (\d+)(?:\.(\d+))?", version_output)
    if not match:
        return None
    major = int(match.group(1))
    return major * 10 + int(match.group(2) or 0) if major < 10 else major


def _check_tool_version(tool: str, needed_major: int, why: str) -> int:
    output = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
    major = tool_major(output)
    if major is None:
        raise BackupError(f"{tool} --version gave {output.strip()!r}, not a PostgreSQL client version.")
    if major < needed_major:
        name = os.path.basename(tool)
        raise BackupError(
            f"{name} is version {major}, {why} (version {needed_major}); install the PostgreSQL "
            f"client {needed_major} or later (Debian: postgresql-client-{needed_major})."
        )
    return major


def _run(command: list[str], environment: dict[str, str], name: str) -> None:
    result = subprocess.run(command, env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{name} failed (exit status {result.returncode}): {result.stderr.strip()}")


def _sqlite_path() -> str | None:
    database = db.engine.url.database
    return None if database in (None, "", ":memory:") or database.startswith("file::memory:") else database


def _row_counts(connection: Connection) -> dict[str, int]:
    names = sa.inspect(connection).get_table_names()
    return {name: connection.scalar(sa.select(sa.func.count()).select_from(sa.table(name))) for name in names}


def _revision(connection: Connection) -> str | None:
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.scalar(sa.text("SELECT version_num FROM alembic_version"))


def _code_heads() -> Sequence[str]:
    from alembic.script import ScriptDirectory

    migrate = current_app.extensions.get("migrate")
    if migrate is None:
        return ()
    return ScriptDirectory.from_config(migrate.migrate.get_config()).get_heads()


def _files_under(folder: Path) -> Iterator[Path]:
    if not folder.is_dir():
        return
    for directory, subdirectories, names in os.walk(folder):
        subdirectories.sort()
        for name in sorted(names):
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _copy_and_hash(source: Path, target: Path, mode: int | None = None) -> tuple[str, int]:
    """Copy `source` to the new file `target`, keeping its times; `target` gets `mode`, or
    without one the mode irflow/services/storage.py gives an upload (open(..., "xb"): 0o666
    less the umask), never the source's."""
    digest = hashlib.sha256()
    size = 0
    with open(source, "rb") as reading, open(target, "xb") as writing:
        if mode is not None:
            os.fchmod(writing.fileno(), mode)  # before a byte is written
        while chunk := reading.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            writing.write(chunk)
    times = os.stat(source)
    os.utime(target, ns=(times.st_atime_ns, times.st_mtime_ns))
    return digest.hexdigest(), size


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as reading:
        while chunk := reading.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _file_entry(root: Path, path: Path) -> dict[str, Any]:
    return {"path": path.relative_to(root).as_posix(), "size": path.stat().st_size, "sha256": _sha256(path)}
