"""Use cases: write one message to a group, and keep or drop the head's texts of the
automatic notices. Nothing here commits: the request does."""

from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import sqlalchemy as sa
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from .. import events
from ..errors import Refused
from ..extensions import db
from ..i18n import force_timezone, language_of
from ..models import GroupMessage, NoticeText
from ..models.base import utcnow
from ..returns.reminders import department_today
from ..services import mail
from ..workflow.notice_texts import fill, fill_notice, placeholder_values
from .queries import group_applications, one_per_person

# A group message may name these (the comment belongs to a change of state).
GROUP_PLACEHOLDERS = ("name", "number", "call", "state", "host", "deadline")


class NoRecipients(Refused):
    """Nobody in the group can be written to."""


class GroupChanged(Refused):
    """The group is not what the preview showed: the message is not sent."""

    def __init__(self, message, count):
        super().__init__(message)
        self.count = count


@dataclass(frozen=True)
class Draft:
    """A group message as written: the group, its call (or None), the chosen applications
    (for the group "applications"), subject and body."""

    group: str
    call_id: int | None
    application_ids: tuple
    subject: str
    body: str


def recipients_of(user, draft):
    """The applications written to, one per person: [] never, NoRecipients instead."""
    applications = group_applications(
        user, draft.group, draft.call_id, draft.application_ids, today=department_today(utcnow())
    )
    recipients = one_per_person(applications)
    if not recipients:
        raise NoRecipients(_("Nobody in this group can be written to."))
    return recipients


def personal_copy(subject, body, application):
    """(subject, body) as the applicant of `application` reads them: their language, their zone."""
    person = application.applicant
    with force_locale(language_of(person)), force_timezone(person.timezone):
        values = placeholder_values(application, person)
        values = {name: values[name] for name in GROUP_PLACEHOLDERS}
        return " ".join(fill(subject, values).split())[:300], fill(body, values)


def send_group_message(user, draft, key, expected_count):
    """Queue one copy of the message per recipient, each on their application, and log it.
    The same `key` (one preview) sends once: a second submission returns the message
    already sent and False. Refused when the group is no longer what the preview counted."""
    sent = db.session.scalar(sa.select(GroupMessage).where(GroupMessage.key == key))
    if sent is not None:
        return sent, False
    recipients = recipients_of(user, draft)
    if len(recipients) != expected_count:
        raise GroupChanged(
            ngettext(
                "The group has changed since the preview: it now has %(num)d recipient. Nothing was sent; "
                "check the message and preview it again.",
                "The group has changed since the preview: it now has %(num)d recipients. Nothing was sent; "
                "check the message and preview it again.",
                len(recipients),
            ),
            len(recipients),
        )
    message = GroupMessage(
        key=key,
        sender=user,
        recipient_group=draft.group,
        call_id=draft.call_id if draft.group != "applications" else None,
        subject=draft.subject,
        body=draft.body,
        recipient_count=len(recipients),
    )
    db.session.add(message)
    for application in recipients:
        subject, body = personal_copy(draft.subject, draft.body, application)
        mail.queue(
            application.applicant.email,
            subject,
            body,
            recipient=application.applicant,
            application=application,
            dedup_key=f"group-message:{key}:{application.applicant_id}",
        )
    db.session.flush()
    events.record(
        "group_message",
        actor=user,
        details={"group": draft.group, "count": len(recipients), "call": message.call_id, "message": message.id},
    )
    return message, True


# --- the texts of the automatic notices ------------------------------------------------------------


def save_notice_text(user, kind, language, subject, body):
    """Keep the head's text of notice `kind` in `language` (a new one or a change)."""
    text = db.session.scalar(sa.select(NoticeText).where(NoticeText.kind == kind, NoticeText.language == language))
    if text is None:
        text = NoticeText(kind=kind, language=language)
        db.session.add(text)
    text.subject, text.body = subject, body
    text.updated_at, text.updated_by = utcnow(), user
    return text


def reset_notice_text(kind, language):
    """Back to the built-in notice: the head's text is deleted. False if there was none."""
    deleted = db.session.execute(
        sa.delete(NoticeText).where(NoticeText.kind == kind, NoticeText.language == language)
    ).rowcount
    return bool(deleted)


def sample_notice(transition, language, subject, body):
    """(subject, body) of a notice of `transition` with the given texts, filled in for a
    made-up application in `language`, as the preview shows it."""
    week_ahead = utcnow().replace(second=0, microsecond=0) + timedelta(days=7)
    application = SimpleNamespace(
        id=1024,
        state=transition.dest,
        call=SimpleNamespace(title="Erasmus+ KA171 2026/2027"),
        allocated_place=SimpleNamespace(partner=SimpleNamespace(name="Universidad de Granada")),
        offer_deadline=week_ahead,
        changes_due_at=week_ahead,
    )
    recipient = SimpleNamespace(full_name_native="Малика Раҳимова")
    with force_locale(language):
        comment = _("Please upload a clearer scan of your passport.") if transition.comment_required else None
        return fill_notice(subject, body, placeholder_values(application, recipient, comment))
