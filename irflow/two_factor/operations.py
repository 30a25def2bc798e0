"""Setting up, disabling and renewing a user's two-factor login. Nothing here commits: the
request is the unit of work. A wrong code raises CodeRefused and is written to the security
log on a session of its own (the refused request is rolled back)."""

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import events
from ..auth import second_factor, sessions, throttle
from ..errors import Refused
from ..extensions import db
from ..models import TwoFactorCredential, User
from ..models.base import utcnow
from . import policy


class CodeRefused(Refused):
    """A code that does not fit; `status` is the page's HTTP status."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def pending_secret(user, login_token):
    """The secret this login of `user` is setting up (kept until confirmed, so reloading the
    page shows the same QR code), or None once two-factor is on: then it is never shown again.
    Each login has a secret of its own: another login of the account never sees it."""
    if second_factor.is_enabled(user):
        return None
    return second_factor.setup_secret(user, login_token) or second_factor.begin_setup(user, login_token)


def confirm_setup(user, code, login_token):
    """Turn two-factor on with this login's secret once `code` shows the app holds it, and end
    every other login of `user` (one made before may be someone else's); returns the ten
    recovery codes, to be shown this once."""
    secret = second_factor.setup_secret(user, login_token)
    # Two logins confirming at once: the second waits here, then finds two-factor on.
    db.session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    credential = db.session.scalar(
        sa.select(TwoFactorCredential)
        .where(TwoFactorCredential.user_id == user.id)
        .execution_options(populate_existing=True)
    )
    if secret is None or (credential is not None and credential.enabled):
        raise Refused(_("Two-factor authentication is already on, or its set-up has expired. Start again."))
    if credential is not None:  # a set-up never confirmed
        db.session.delete(credential)
        db.session.flush()
    credential = TwoFactorCredential(user_id=user.id, encrypted_secret=second_factor.encrypt_secret(secret))
    db.session.add(credential)
    db.session.flush()
    if not second_factor.check_totp(credential, code):
        raise CodeRefused(_("That code does not fit. Type the code the app shows now."))
    credential.enabled_at = utcnow()
    codes = second_factor.new_recovery_codes(user)
    ended = sessions.end_other_sessions(user, login_token, "two_factor_enabled")
    events.record("two_factor_enabled", actor=user, user=user, details={"other_sessions_ended": ended})
    second_factor.forget_setup()
    return codes


def disable(user, code, address):
    if not policy.may_disable(user):
        raise Refused(_("Your role requires two-factor authentication: it cannot be turned off."))
    _check_code(user, code, address, "disable")
    second_factor.remove(user)
    events.record("two_factor_disabled", actor=user, user=user)


def renew_recovery_codes(user, code, address):
    """Ten new recovery codes (the old ones stop working), to be shown this once."""
    _check_code(user, code, address, "recovery_codes")
    return second_factor.new_recovery_codes(user)


def _check_code(user, code, address, step):
    """A current code (or a recovery code) of `user`, under the login brake: a stolen session
    must not guess its way to turning two-factor off."""
    if not second_factor.is_enabled(user):
        raise Refused(_("Two-factor authentication is not on."))
    wait = throttle.seconds_to_wait(user.email, address, known_device=True)
    if wait:
        raise CodeRefused(throttle.too_many_attempts(wait), 429)
    if second_factor.check(user, code) is None:
        throttle.record_failure(user.email, address, user, event=False)
        second_factor.record_failure_apart(user, step)
        raise CodeRefused(_("Wrong code. Type the code your authenticator app shows now."), 401)
