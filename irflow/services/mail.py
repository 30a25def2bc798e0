"""The outbox. Messages are written to `notifications` in the caller's transaction;
delivery by SMTP is a separate step so that a slow or failing mail server never
breaks the change that caused the message (see `delivery`: `deliver_pending()`, the
`send-mail` command and the delivery right after a request that queued mail)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import render_template
from flask_babel import force_locale

from ..extensions import db
from ..i18n import force_timezone, language_of
from ..models import Notification

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..models import Application, User


def queue(
    recipient_email: str,
    subject: str,
    body: str,
    recipient: User | None = None,
    application: Application | None = None,
    dedup_key: str | None = None,
) -> Notification | None:
    """Add a message to the outbox. With `dedup_key`, a message already queued under the
    same key is not queued again (returns None): reminders go out once."""
    if (
        dedup_key is not None
        and db.session.scalar(db.select(Notification.id).where(Notification.dedup_key == dedup_key)) is not None
    ):
        return None
    notification = Notification(
        recipient=recipient,
        recipient_email=recipient_email,
        application=application,
        subject=subject,
        body=body,
        dedup_key=dedup_key,
    )
    db.session.add(notification)
    return notification


def queue_for_user(
    user: User,
    template: str,
    subject: str | Callable[[], str],
    application: Application | None = None,
    dedup_key: str | None = None,
    **context: object,
) -> Notification | None:
    """Render `template` in the recipient's own language and time zone, and queue it."""
    with force_locale(language_of(user)), force_timezone(user.timezone):
        return queue(
            user.email,
            str(subject() if callable(subject) else subject),
            render_template(template, recipient=user, application=application, **context),
            recipient=user,
            application=application,
            dedup_key=dedup_key,
        )
