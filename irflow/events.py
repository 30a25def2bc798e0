"""Writing the security event log: in the caller's transaction, so an event is kept exactly
when what it records is kept; and as one structured line in the application log.

Never pass a password, token or code in `details`: the log is read by administrators and
kept for years. `record` refuses keys that name such things. An e-mail typed for no account
is kept only as its keyed digest (`email_digest`): the purge of personal data cannot reach
this log, so it holds no address."""

import hashlib
import hmac
import json
import logging

import sqlalchemy as sa
from flask import current_app, has_request_context, request

from .extensions import db
from .models import SecurityEvent
from .models.base import utcnow
from .models.security_event import EVENT_KINDS
from .web import unit_of_work

logger = logging.getLogger("irflow.security")

SECRET_WORDS = ("password", "token", "code", "secret", "hash")
_DIGEST_KEY_PURPOSE = b"irflow-security-event-email"


def email_digest(email):
    """The first 16 hex digits of HMAC-SHA256 of the normalised `email`, keyed by SECRET_KEY:
    the same address gives the same digest, which nobody without the key can turn back into
    the address (nor test guesses against)."""
    secret = current_app.config["SECRET_KEY"]
    key = hmac.new(secret.encode("utf-8"), _DIGEST_KEY_PURPOSE, hashlib.sha256).digest()
    return hmac.new(key, email.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def record(kind, *, actor=None, user=None, email=None, details=None, address=None, session=None, connection=None):
    """Add one event to the log in `session` (default: the request's) and return it.
    `email`: what was typed for no account; only its digest is written.

    `connection`: write it at once with that Core connection instead, in the connection's
    transaction (a failed login is counted on a connection of its own, so that the refused
    request's rollback keeps it; its event goes with it)."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown security event kind {kind!r}")
    details = dict(details or {})
    for key in details:
        if any(word in key.lower() for word in SECRET_WORDS):
            raise ValueError(f"security event detail {key!r} may hold a secret")
    if address is None and has_request_context():
        address = request.remote_addr
    digest = email_digest(email) if email else None
    event = SecurityEvent(
        kind=kind,
        actor_id=_id(actor),
        user_id=_id(user),
        email_digest=digest,
        address=address,
        details=details,
        created_at=utcnow(),
    )
    if connection is not None:
        connection.execute(
            sa.insert(SecurityEvent).values(
                kind=kind,
                actor_id=event.actor_id,
                user_id=event.user_id,
                email_digest=digest,
                address=address,
                details=details,
                created_at=event.created_at,
            )
        )
    else:
        (session or db.session).add(event)
    line = json.dumps(
        {
            "kind": kind,
            "actor": event.actor_id,
            "user": event.user_id,
            "email_digest": digest,
            "address": address,
            **details,
        },
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    if connection is None and session is None and has_request_context():
        # The request's own work: logged once it is committed, never for an action rolled back.
        unit_of_work.after_commit(lambda: logger.info("security_event %s", line))
    else:
        logger.info("security_event %s", line)
    return event


def _id(user):
    return user if isinstance(user, int) or user is None else user.id
