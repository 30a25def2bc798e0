"""Setting up, disabling and renewing a user's two-factor login. Nothing here commits: the
request is the unit of work. A wrong code raises CodeRefused and is written to the security
log on a session of its own (the refused request is rolled back)."""

from flask_babel import gettext as _

from .. import events
from ..auth import second_factor, throttle
from ..errors import Refused
from ..extensions import db
from ..models import RecoveryCode, TwoFactorCredential
from ..models.base import utcnow
from . import policy


class CodeRefused(Refused):
    """A code that does not fit; `status` is the page's HTTP status."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def pending_secret(user):
    """The secret being set up for `user` (one kept until confirmed, so reloading the page shows
    the same QR code), or None once two-factor is on: then it is never shown again."""
    credential = second_factor.credential_of(user)
    if credential is not None and credential.enabled:
        return None
    if credential is not None:
        secret = second_factor.decrypt_secret(credential.encrypted_secret)
        if secret is not None:
            return secret
        db.session.delete(credential)
        db.session.flush()
    secret = second_factor.new_secret()
    db.session.add(TwoFactorCredential(user_id=user.id, encrypted_secret=second_factor.encrypt_secret(secret)))
    return secret


def confirm_setup(user, code):
    """Turn two-factor on once `code` shows the app holds the secret; returns the ten recovery
    codes, to be shown this once."""
    credential = second_factor.credential_of(user)
    if credential is None or credential.enabled:
        raise Refused(_("Two-factor authentication is already on, or its set-up has expired. Start again."))
    if not second_factor.check_totp(credential, code):
        raise CodeRefused(_("That code does not fit. Type the code the app shows now."))
    credential.enabled_at = utcnow()
    codes = second_factor.new_recovery_codes(user)
    events.record("two_factor_enabled", actor=user, user=user)
    return codes


def disable(user, code, address):
    if not policy.may_disable(user):
        raise Refused(_("Your role requires two-factor authentication: it cannot be turned off."))
    _check_code(user, code, address, "disable")
    db.session.delete(second_factor.credential_of(user))
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
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
