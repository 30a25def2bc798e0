"""`flask --app wsgi backup DIR` and `flask --app wsgi restore DIR` (irflow/services/backup.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from flask.cli import with_appcontext

from .backup import BackupError, create_backup, restore_backup

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def _files(count: int) -> str:
    return f"{count} file" if count == 1 else f"{count} files"


def _size(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable: the last unit returns")


@click.command("backup")
@click.argument("directory", type=click.Path(file_okay=False))
@with_appcontext
def backup_command(directory: str) -> None:
    """Copy the database and the upload folder into DIRECTORY (new or empty), with a
    manifest of sha256 sums and row counts."""
    try:
        manifest = create_backup(directory)
    except (BackupError, OSError) as error:  # OSError: disk full, no permission
        raise click.ClickException(str(error)) from None
    database, *uploads = manifest["files"]
    click.echo(f"Backup written to {directory}:")
    click.echo(
        f"  database ({manifest['database']['kind']}, revision {manifest['database']['alembic_revision']}): "
        f"{len(manifest['tables'])} tables, {sum(manifest['tables'].values())} rows, {_size(database['size'])}"
    )
    click.echo(f"  uploads: {_files(len(uploads))}, {_size(sum(entry['size'] for entry in uploads))}")


@click.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@with_appcontext
def restore_command(directory: str) -> None:
    """Restore a backup from DIRECTORY into an empty database and an empty upload folder,
    after checking its sums; then compare files and row counts with its manifest. Exits
    with status 1 on any difference."""
    try:
        report = restore_backup(directory)
    except (BackupError, OSError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored from {directory}:")
    click.echo(f"  database ({report.database_kind}): {report.tables} tables, {report.rows} rows as in the backup")
    click.echo(f"  uploads: {_files(report.files)}")
    for note in report.notes:
        click.echo(note)
    for mismatch in report.mismatches:
        click.echo(f"MISMATCH {mismatch}", err=True)
    if report.mismatches:
        raise SystemExit(1)
    click.echo("Every sum and row count matches the backup.")
