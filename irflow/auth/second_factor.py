"""The second factor of a login: TOTP codes (RFC 6238) from an authenticator app, or one of
ten one-time recovery codes; and the pending mark a correct password leaves until then.

The TOTP secret is stored encrypted under a key derived from TWO_FACTOR_ENCRYPTION_KEY
(default: the SECRET_KEY): a copy of the database alone gives nobody a user's codes.
The cipher is HMAC-SHA256 in counter mode with a random nonce, then an HMAC tag over
nonce and ciphertext (encrypt-then-MAC), built from the standard library alone.
"""

import base64
import hashlib
import hmac
import secrets
import time

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app, session
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from .. import events
from ..extensions import db
from ..models import RecoveryCode, TwoFactorCredential, User
from ..models.base import utcnow

ISSUER = "irflow"
TOTP_STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10
# 16 characters of an alphabet without look-alikes (no i, l, o, 0, 1): 79 random bits each.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_LENGTH = 16
PENDING_KEY = "two_factor_pending"
PENDING_SALT = "irflow-two-factor-pending"
SETUP_KEY = "two_factor_setup"
CIPHER_VERSION = "v1"


# --- the secret, encrypted at rest -------------------------------------------------------
def _keys():
    master = (current_app.config.get("TWO_FACTOR_ENCRYPTION_KEY") or current_app.config["SECRET_KEY"]).encode()
    derive = lambda label: hmac.new(master, b"irflow two-factor " + label, hashlib.sha256).digest()  # noqa: E731
    return derive(b"encryption"), derive(b"authentication")


def _keystream(key, nonce, length):
    blocks = (hmac.new(key, nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest() for counter in range(64))
    return b"".join(blocks)[:length]


def encrypt_secret(secret):
    encryption_key, authentication_key = _keys()
    nonce = secrets.token_bytes(16)
    plain = secret.encode("ascii")
    cipher = bytes(a ^ b for a, b in zip(plain, _keystream(encryption_key, nonce, len(plain)), strict=True))
    tag = hmac.new(authentication_key, nonce + cipher, hashlib.sha256).digest()
    return f"{CIPHER_VERSION}:" + base64.urlsafe_b64encode(nonce + cipher + tag).decode("ascii")


def decrypt_secret(stored):
    """The secret, or None when it cannot be read (another key): only a recovery code helps then."""
    version, _, encoded = stored.partition(":")
    if version != CIPHER_VERSION:
        return None
    raw = base64.urlsafe_b64decode(encoded.encode("ascii"))
    nonce, cipher, tag = raw[:16], raw[16:-32], raw[-32:]
    encryption_key, authentication_key = _keys()
    if not hmac.compare_digest(tag, hmac.new(authentication_key, nonce + cipher, hashlib.sha256).digest()):
        return None
    return bytes(a ^ b for a, b in zip(cipher, _keystream(encryption_key, nonce, len(cipher)), strict=True)).decode()


def new_secret():
    return pyotp.random_base32()


def provisioning_uri(secret, user):
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_svg(secret, user, title):
    """The set-up QR code as an inline <svg> element: no style attribute, no script (the CSP)."""
    qr = segno.make(provisioning_uri(secret, user), error="m")
    return qr.svg_inline(scale=5, dark="#000", light="#fff", title=title, svgclass="two-factor-qr")


# --- the secret being set up, kept in one login's session -----------------------------------
def _login_mark(login_token):
    return hashlib.sha256((login_token or "").encode("utf-8")).hexdigest()[:16]


def setup_secret(user, login_token):
    """The secret this login of `user` is setting up, or None. It lives in this login's
    session cookie, encrypted like a stored secret: no other login of the account sees it."""
    value = session.get(SETUP_KEY)
    if not isinstance(value, dict) or value.get("user") != user.id:
        return None
    if not hmac.compare_digest(str(value.get("login", "")), _login_mark(login_token)):
        return None
    return decrypt_secret(str(value.get("secret", "")))


def begin_setup(user, login_token):
    """A new secret for this login of `user` to set up; returns it."""
    secret = new_secret()
    session[SETUP_KEY] = {"user": user.id, "login": _login_mark(login_token), "secret": encrypt_secret(secret)}
    return secret


def forget_setup():
    session.pop(SETUP_KEY, None)


# --- checking a code -----------------------------------------------------------------------
def credential_of(user):
    return db.session.get(TwoFactorCredential, user.id)


def is_enabled(user):
    credential = credential_of(user)
    return credential is not None and credential.enabled


def _normalised(code):
    return "".join((code or "").split()).replace("-", "").lower()


def check_totp(credential, code, now=None):
    """Whether `code` is the credential's TOTP code of now or one step either side (clock drift),
    and newer than the last one accepted: a code seen once, e.g. over a shoulder, is spent."""
    code = _normalised(code)
    secret = decrypt_secret(credential.encrypted_secret)
    if secret is None or len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS)
    current_step = int((now or time.time()) // TOTP_STEP_SECONDS)
    for step in (current_step - 1, current_step, current_step + 1):
        if credential.last_used_step is not None and step <= credential.last_used_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return _spend_step(credential, step)
    return False


def _spend_step(credential, step):
    """Mark `step` used, only if no other request has used it (or a later one) meanwhile: a
    code relayed to two requests at once passes once."""
    spent = db.session.execute(
        sa.update(TwoFactorCredential)
        .where(
            TwoFactorCredential.user_id == credential.user_id,
            sa.or_(TwoFactorCredential.last_used_step.is_(None), TwoFactorCredential.last_used_step < step),
        )
        .values(last_used_step=step)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        return False
    set_committed_value(credential, "last_used_step", step)
    return True


def hash_recovery_code(code):
    return hashlib.sha256(_normalised(code).encode("utf-8")).hexdigest()


def new_recovery_codes(user):
    """Replace `user`'s recovery codes with ten new ones; returns them to be shown once."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        code = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=hash_recovery_code(code)))
        codes.append("-".join(code[start : start + 4] for start in range(0, RECOVERY_CODE_LENGTH, 4)))
    return codes


def recovery_codes_left(user):
    return db.session.scalar(
        sa.select(sa.func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def use_recovery_code(user, code):
    """Spend one of `user`'s unused recovery codes. Looked up first, so a wrong code writes
    nothing (the failure is then recorded on a connection of its own, which on SQLite must find
    the file unlocked); claimed in one conditional update, so two requests racing with the same
    code cannot both succeed."""
    normalised = _normalised(code)
    if len(normalised) != RECOVERY_CODE_LENGTH:
        return False
    unused = db.session.scalar(
        sa.select(RecoveryCode.id).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == hash_recovery_code(normalised),
            RecoveryCode.used_at.is_(None),
        )
    )
    if unused is None:
        return False
    claimed = db.session.execute(
        sa.update(RecoveryCode)
        .where(RecoveryCode.id == unused, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return False
    events.record("recovery_code_used", actor=user, user=user, details={"left": recovery_codes_left(user)})
    return True


def check(user, code):
    """'totp' or 'recovery' when `code` is a current TOTP code or an unused recovery code of
    `user` (the latter is spent), None otherwise."""
    credential = credential_of(user)
    if credential is None or not credential.enabled:
        return None
    if check_totp(credential, code):
        return "totp"
    if use_recovery_code(user, code):
        return "recovery"
    return None


def remove(user):
    """Delete `user`'s two-factor credential and recovery codes; returns how many of the codes
    were unused, or None when there was no credential. The caller records the event."""
    credential = credential_of(user)
    if credential is None:
        return None
    unused = recovery_codes_left(user)
    db.session.delete(credential)
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    return unused


def record_failure_apart(user, step):
    """Record a wrong second-factor code on a session of its own, committed at once: the
    refused request's work is rolled back, the log must keep the failure all the same."""
    with Session(db.engine) as own_session:
        events.record("two_factor_failed", actor=user.id, user=user.id, details={"step": step}, session=own_session)
        own_session.commit()


# --- between the password and the second step ---------------------------------------------
def _pending_serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=PENDING_SALT)


def _password_mark(user):
    # A password changed in the meantime voids the pending step.
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:16]


def begin_pending(user, remember, next_url):
    """Leave the mark that `user` typed the right password; nobody is logged in yet."""
    session.clear()  # a fresh session: no fixation, no earlier login left
    session[PENDING_KEY] = _pending_serializer().dumps(
        {"user": user.id, "remember": bool(remember), "next": next_url or "", "password": _password_mark(user)}
    )


def pending_login():
    """(user, remember, next URL) of the password step of this browser, or None when there is
    none, it is older than TWO_FACTOR_PENDING_SECONDS or its account changed."""
    value = session.get(PENDING_KEY)
    if not value:
        return None
    try:
        content = _pending_serializer().loads(value, max_age=current_app.config["TWO_FACTOR_PENDING_SECONDS"])
    except BadSignature:  # also one out of date
        return None
    user = db.session.get(User, content.get("user")) if isinstance(content, dict) else None
    if user is None or not user.active or not hmac.compare_digest(content.get("password", ""), _password_mark(user)):
        return None
    return user, bool(content.get("remember")), content.get("next", "")


def forget_pending():
    session.pop(PENDING_KEY, None)
