"""`flask --app wsgi reset-password EMAIL`: a new password set from the server's console, for
the administrator who can no longer log in (nobody left to send them a link)."""

import click
import sqlalchemy as sa

from ..extensions import db
from ..models import User
from .password_reset import set_new_password
from .passwords import password_problems


@click.command("reset-password")
@click.argument("email")
def reset_password_command(email):
    """Set a new password for the account EMAIL (asked for twice, never shown) and end
    every login of it."""
    email = email.strip().lower()
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        raise click.ClickException(f"No account with the e-mail {email}.")
    while True:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
        problems = password_problems(password, email)
        if not problems:
            break
        click.echo(" ".join(problems), err=True)
    ended = set_new_password(user, password, via="command line")
    db.session.commit()
    click.echo(f"New password set for {email}; {ended} active login(s) ended.")
    if not user.active:
        click.echo("Note: this account is deactivated and cannot log in until it is reactivated.", err=True)
