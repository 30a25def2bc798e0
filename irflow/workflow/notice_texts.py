"""The head's own texts of the automatic notices, and the placeholders they are written with.

A notice follows a transition; its kind is the transition's trigger. When a `NoticeText`
exists for the kind and the recipient's language it is sent instead of the built-in
template (emails/transition.txt). Texts typed by staff are filled in by `fill`: plain
`{name}` placeholders only, never a template language, so a text can show values but
never reach into the application.
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..i18n import force_timezone, format_moment
from ..models import NoticeText
from ..models.states import STATE_LABELS
from ..services import mail

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..models import Application, Notification, User
    from .states import Transition

# What a text may name, as shown next to the form that edits it.
PLACEHOLDERS = {
    "name": _l("the recipient's name"),
    "number": _l("the application's number"),
    "call": _l("the call's title"),
    "state": _l("the application's state"),
    "host": _l("the host institution of the place, if one is allocated"),
    "deadline": _l("the deadline to answer an offer or to make requested changes, if there is one"),
    "comment": _l("the comment given with the change, if any"),
}
SUBJECT_MAX_LENGTH = 200
BODY_MAX_LENGTH = 10000

_FORMATTER = string.Formatter()


class _LeaveUnknown(dict):
    """Placeholders without a value stay in the text as typed: a typo shows instead of vanishing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fields(text: str) -> list[tuple[str, str, str | None]] | None:
    """(name, format spec, conversion) of each `{...}` in `text`; None if a brace is left open."""
    try:
        return [
            (field, spec, conversion)
            for _literal, field, spec, conversion in _FORMATTER.parse(text)
            if field is not None
        ]
    except ValueError:
        return None


def text_problem(text: str) -> str | None:
    """Why `text` cannot be filled in (a brace left open, anything but a plain name inside
    braces: no attribute, index, format or conversion), or None."""
    fields = _fields(text)
    if fields is not None and all(
        name.isidentifier() and not spec and conversion is None for name, spec, conversion in fields
    ):
        return None
    return _("Write a placeholder as a name in braces, such as {name}; for a brace itself write {{ or }}.")


def field_names(text: str) -> list[str]:
    """The placeholders `text` names, in order, once each ([] if it is not well formed)."""
    if text_problem(text) is not None:
        return []
    return list(dict.fromkeys(name for name, _spec, _conversion in _fields(text)))


def fill(text: str, values: Mapping[str, str]) -> str:
    """`text` with its `{placeholders}` replaced by `values`; unknown ones stay visible. A
    text that is not well formed (see `text_problem`) is returned as it is."""
    if text_problem(text) is not None:
        return text
    return text.format_map(_LeaveUnknown(values))


def unknown_placeholders(text: str, known: Mapping[str, Any] = PLACEHOLDERS) -> list[str]:
    """The placeholders of `text` that nothing fills in."""
    return [name for name in field_names(text) if name not in known]


def placeholder_values(application: Any, recipient: Any, comment: str | None = None) -> dict[str, str]:
    """What the placeholders stand for, in the current language and time zone (the caller
    forces the recipient's). `application` and `recipient` may be stand-ins for a preview."""
    place = application.allocated_place
    if application.state == "changes_requested":
        deadline = application.changes_due_at
    elif application.state == "selected":
        deadline = application.offer_deadline
    else:
        deadline = None
    return {
        "name": recipient.full_name_native,
        "number": str(application.id),
        "call": application.call.title or "",
        "state": str(STATE_LABELS[application.state]),
        "host": place.partner.name if place is not None else "",
        "deadline": format_moment(deadline) if deadline else "",
        "comment": comment or "",
    }


def built_in_text(transition: Transition, language: str) -> tuple[str, str]:
    """(subject, body) of the built-in notice of `transition` written with placeholders in
    `language`: where the head's own text starts from."""
    with force_locale(language):
        subject = _("Application %(number)s: %(state)s", number="{number}", state="{state}")
        lines = [
            _("Dear %(name)s,", name="{name}"),
            "",
            _(
                "Your application no. %(number)s to “%(call)s” is now: %(state)s.",
                number="{number}",
                call="{call}",
                state="{state}",
            ),
        ]
        if transition.comment_required:
            lines += ["", f"{_('Comment:')} {{comment}}"]
        if transition.dest == "changes_requested":
            lines += ["", _("Please make the changes and resubmit by %(due)s.", due="{deadline}")]
        if transition.dest == "selected":
            lines += [
                "",
                _(
                    "You have been offered a place at %(host)s. Confirm or decline it by %(deadline)s.",
                    host="{host}",
                    deadline="{deadline}",
                ),
            ]
        lines += ["", _("International Relations Department")]
    return subject, "\n".join(lines)


def custom_text(kind: str, language: str) -> NoticeText | None:
    # Without a flush: asked in the middle of a transition, which is written as a whole later.
    with db.session.no_autoflush:
        return db.session.scalar(sa.select(NoticeText).where(NoticeText.kind == kind, NoticeText.language == language))


def fill_notice(subject: str, body: str, values: Mapping[str, str]) -> tuple[str, str]:
    """(subject, body) of a notice's texts filled in. A comment the text has no place for is
    added at the end: a request for changes must never lose what is asked."""
    subject = " ".join(fill(subject, values).split())[:SUBJECT_MAX_LENGTH]
    filled = fill(body, values)
    if values.get("comment") and "comment" not in field_names(body):
        filled = f"{filled.rstrip()}\n\n{_('Comment:')} {values['comment']}"
    return subject, filled


def queue_custom_notice(
    recipient: User, application: Application, custom: NoticeText, comment: str | None
) -> Notification | None:
    """Queue `custom` (the head's text of a notice, in `recipient`'s language) to `recipient`."""
    with force_locale(custom.language), force_timezone(recipient.timezone):
        subject, body = fill_notice(custom.subject, custom.body, placeholder_values(application, recipient, comment))
    return mail.queue(recipient.email, subject, body, recipient=recipient, application=application)
