"""`flask --app wsgi purge-personal-data --older-than YEARS [--dry-run]`.

Each account listed is checked again with its row locked (a login or a new application
meanwhile: skipped and said so), then anonymised and committed on its own, its documents'
files deleted after that commit: a failure half-way leaves every account either untouched
or done. A file that could not be deleted is a file without a row, which
`storage-check --fix` removes."""

import click

from ..extensions import db
from ..services import storage
from . import operations


def _describe(candidate, email):
    # `email` as listed: once anonymised, the account's is a placeholder.
    if candidate.applications:
        what = f"{candidate.applications} ended application(s)"
    else:
        what = "no application"
    return (
        f"user {candidate.user.id} <{email}>: {what}, last activity {candidate.last_activity:%Y-%m-%d}, "
        f"{candidate.documents} document(s)"
    )


@click.command("purge-personal-data")
@click.option(
    "--older-than",
    "years",
    required=True,
    type=click.IntRange(min=1),
    help="Years since the last login and since the applicant's applications ended.",
)
@click.option("--dry-run", is_flag=True, help="List the accounts that would be anonymised; change nothing.")
def purge_personal_data_command(years, dry_run):
    """Anonymise applicants whose applications all ended (or who never applied) YEARS ago."""
    candidates = operations.purge_candidates(years)
    if not candidates:
        click.echo("No account to anonymise.")
        return
    skipped = 0
    for candidate in candidates:
        email = candidate.user.email
        if dry_run:
            click.echo(f"would anonymise {_describe(candidate, email)}")
            continue
        result = operations.anonymise(candidate)
        if result is None:
            db.session.rollback()  # nothing was changed; the row locks go
            skipped += 1
            click.echo(f"skipped user {candidate.user.id} <{email}>: no longer to be anonymised")
            continue
        description = _describe(result.candidate, email)
        db.session.commit()
        for stored_name in result.stored_names:
            try:
                storage.delete(stored_name)
            except OSError as error:
                click.echo(f"could not delete file {stored_name} ({error}); storage-check --fix removes it", err=True)
        click.echo(f"anonymised {description}")
    if dry_run:
        click.echo(f"{len(candidates)} account(s) would be anonymised (dry run, nothing changed).")
    elif skipped:
        click.echo(f"{len(candidates) - skipped} account(s) anonymised, {skipped} skipped.")
    else:
        click.echo(f"{len(candidates)} account(s) anonymised.")
