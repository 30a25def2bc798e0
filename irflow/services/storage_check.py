"""`flask --app wsgi storage-check [--fix]`: the upload folder against the database.

Files without a row (an upload whose worker died between writing and committing) and
temporary files (one that died while writing) are listed, and removed with `--fix`; only
those older than `--min-age-minutes` (default 60), so that an upload in flight is left
alone. Rows whose file is missing are reported: nothing can fix them but a backup. Exits
with status 1 while anything is wrong (after `--fix`: while a file is missing).
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field

import click
import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import Agreement, Document
from . import storage


@dataclass
class StorageReport:
    stray: list[str] = field(default_factory=list)  # file names without a row, old enough
    recent: int = 0  # files without a row still too young to judge
    missing: list[tuple[str, str]] = field(default_factory=list)  # (label, stored name) of rows without a file


def check_storage(min_age_seconds: float) -> StorageReport:
    folder = storage.folder()
    # The folder is read before the rows: a file renamed into place after this listing is
    # not judged, and a row committed meanwhile is seen.
    on_disk = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_file(follow_symlinks=False):
                on_disk[entry.name] = entry.stat(follow_symlinks=False).st_mtime
    report = StorageReport()
    known = set()
    for document_id, application_id, stored_name in db.session.execute(
        sa.select(Document.id, Document.application_id, Document.stored_name).order_by(Document.id)
    ):
        known.add(stored_name)
        if stored_name not in on_disk:
            report.missing.append((f"document {document_id} of application {application_id}", stored_name))
    for agreement_id, stored_name in db.session.execute(
        sa.select(Agreement.id, Agreement.signed_copy_stored_name)
        .where(Agreement.signed_copy_stored_name.is_not(None))
        .order_by(Agreement.id)
    ):
        known.add(stored_name)
        if stored_name not in on_disk:
            report.missing.append((f"signed copy of agreement {agreement_id}", stored_name))
    oldest_allowed = time.time() - min_age_seconds
    for name, modified in sorted(on_disk.items()):
        if name in known:
            continue
        if modified <= oldest_allowed:
            report.stray.append(name)
        else:
            report.recent += 1
    return report


@click.command("storage-check")
@click.option("--fix", is_flag=True, help="Remove the files that belong to no row.")
@click.option(
    "--min-age-minutes",
    default=60,
    show_default=True,
    type=click.IntRange(min=0),
    help="Leave younger files alone: they may be uploads in flight.",
)
def storage_check_command(fix: bool, min_age_minutes: int) -> None:
    """Compare the upload folder with the database: files without rows, rows without files."""
    report = check_storage(min_age_minutes * 60)
    for name in report.stray:
        kind = "temporary file" if name.endswith(storage.TEMPORARY_SUFFIX) else "file without a row"
        if fix:
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(storage.folder(), name))
            click.echo(f"removed {kind}: {name}")
        else:
            click.echo(f"{kind}: {name}")
    for label, stored_name in report.missing:
        current_app.logger.error("%s: file %s missing from the upload folder", label, stored_name)
        click.echo(f"missing file of {label}: {stored_name}")
    if report.recent:
        click.echo(f"{report.recent} file(s) without a row younger than {min_age_minutes} minutes left alone.")
    wrong = bool(report.missing) or (bool(report.stray) and not fix)
    if not report.stray and not report.missing:
        click.echo("Nothing wrong: every file has its row and every row its file.")
    if wrong:
        raise SystemExit(1)
