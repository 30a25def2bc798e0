"""The outbox. Messages are written to `notifications` in the caller's transaction;
delivery by SMTP is a separate step so that a slow or failing mail server never
breaks the change that caused the message (see `delivery`: `deliver_pending()`, the
`send-mail` command and the delivery right after a request that queued mail)."""

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from ..extensions import db
from ..models import Notification
from .delivery import deliver_pending  # noqa: F401  (mail.deliver_pending for callers)


def queue(recipient_email, subject, body, recipient=None, application=None, dedup_key=None):
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


def queue_for_user(user, template, subject, application=None, dedup_key=None, **context):
    """Render `template` in the recipient's own language and time zone, and queue it."""
    from .. import force_timezone

    with force_locale(user.locale), force_timezone(user.timezone):
        return queue(
            user.email,
            str(subject() if callable(subject) else subject),
            render_template(template, recipient=user, application=application, **context),
            recipient=user,
            application=application,
            dedup_key=dedup_key,
        )


def queue_transition_notice(application, transition, comment):
    from ..workflow.states import STATE_LABELS

    applicant = application.applicant
    return queue_for_user(
        applicant,
        "emails/transition.txt",
        lambda: _("Application %(number)s: %(state)s", number=application.id, state=STATE_LABELS[application.state]),
        application=application,
        transition=transition,
        state_label=STATE_LABELS[application.state],
        comment=comment,
    )


def queue_nomination(application, host):
    # Host offices read English; the message names the participant as in the passport.
    with force_locale("en"):
        body = render_template("emails/nomination.txt", application=application, host=host)
        subject = _("Nomination: %(name)s", name=application.applicant.full_name_latin)
    return queue(host.contact_email, subject, body, application=application)
