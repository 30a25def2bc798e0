"""`flask --app wsgi reset-password EMAIL [--disable-two-factor]`: a new password set from the
server's console, for the administrator who can no longer log in (nobody left to send them a
link); with --disable-two-factor also for one who lost both the authenticator and the
recovery codes."""

import click
import sqlalchemy as sa

from .. import events
from ..extensions import db
from ..models import User
from . import second_factor
from .password_reset import set_new_password
from .passwords import password_problems


@click.command("reset-password")
@click.argument("email")
@click.option(
    "--disable-two-factor",
    is_flag=True,
    help="Also remove the account's two-factor authentication and recovery codes (authenticator lost).",
)
def reset_password_command(email, disable_two_factor):
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
    unused_codes = second_factor.remove(user) if disable_two_factor else None
    if unused_codes is not None:
        events.record("two_factor_disabled", user=user, details={"via": "command line"})
    db.session.commit()
    click.echo(f"New password set for {email}; {ended} active login(s) ended.")
    if unused_codes is not None:
        click.echo(
            f"Two-factor authentication removed for {email}, with its {unused_codes} unused recovery code(s): "
            "the next login sets it up again where the role requires it."
        )
    elif disable_two_factor:
        click.echo(f"{email} had no two-factor authentication.")
    if not user.active:
        click.echo("Note: this account is deactivated and cannot log in until it is reactivated.", err=True)
