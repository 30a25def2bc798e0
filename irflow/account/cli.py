"""`flask --app wsgi purge-personal-data --older-than YEARS [--dry-run]`.

Each account is anonymised and committed on its own, its documents' files deleted after
that commit: a failure half-way leaves every account either untouched or done. A file
that could not be deleted is a file without a row, which `storage-check --fix` removes."""

import click

from ..extensions import db
from ..services import storage
from . import operations


def _describe(candidate):
    user = candidate.user
    if candidate.applications:
        what = f"{candidate.applications} ended application(s)"
    else:
        what = "no application"
    return (
        f"user {user.id} <{user.email}>: {what}, last activity {candidate.last_activity:%Y-%m-%d}, "
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
    for candidate in candidates:
        description = _describe(candidate)
        if dry_run:
            click.echo(f"would anonymise {description}")
            continue
        result = operations.anonymise(candidate)
        db.session.commit()
        for stored_name in result.stored_names:
            try:
                storage.delete(stored_name)
            except OSError as error:
                click.echo(f"could not delete file {stored_name} ({error}); storage-check --fix removes it", err=True)
        click.echo(f"anonymised {description}")
    verb = "would be anonymised (dry run, nothing changed)" if dry_run else "anonymised"
    click.echo(f"{len(candidates)} account(s) {verb}.")
