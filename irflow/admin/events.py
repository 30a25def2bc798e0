"""The security event log for administrators: who did what to whose account or data, newest
first, filtered by user, kind and date."""

from datetime import UTC, datetime, time, timedelta

from flask import flash, render_template, request
from flask_babel import gettext as _
from flask_babel import to_utc

from .. import web
from ..bad_input import page_number
from ..events import email_digest
from ..extensions import db
from ..models import SecurityEvent, User
from ..models.security_event import EVENT_KIND_LABELS
from ..search import contains_text
from . import bp
from .forms import EventFilterForm

EVENTS_PER_PAGE = 50


def _start_of_day(day):
    """Midnight of `day` in the user's time zone, as the aware UTC time the log stores."""
    return to_utc(datetime.combine(day, time.min)).replace(tzinfo=UTC)


def _filtered(query, form):
    text = (form.user.data or "").strip()
    if text:
        # The account the event concerns, the one who acted, or an e-mail typed for no account:
        # the log has only its digest, so the whole address (or the digest shown) finds it.
        users = db.select(User.id).where(contains_text((User.email, User.full_name_latin, User.full_name_native), text))
        digests = {text.lower(), email_digest(text)}
        query = query.where(
            SecurityEvent.user_id.in_(users)
            | SecurityEvent.actor_id.in_(users)
            | SecurityEvent.email_digest.in_(digests)
        )
    if form.kind.data:
        query = query.where(SecurityEvent.kind == form.kind.data)
    if form.date_from.data:
        query = query.where(SecurityEvent.created_at >= _start_of_day(form.date_from.data))
    if form.date_to.data:
        # The whole of the last day counts.
        query = query.where(SecurityEvent.created_at < _start_of_day(form.date_to.data + timedelta(days=1)))
    return query


@bp.route("/events")
@web.role_required("admin")
def events():
    form = EventFilterForm(request.args)
    ignored = form.ignore_invalid_values()
    if ignored:
        flash(
            _(
                "These filters had values that are not valid here and were ignored: %(fields)s.",
                fields=", ".join(ignored),
            ),
            "warning",
        )
    query = _filtered(db.select(SecurityEvent), form).order_by(SecurityEvent.created_at.desc(), SecurityEvent.id.desc())
    # Both people of each row come with it (names and e-mails only, not their roles and
    # faculties): one query for the page whatever its length.
    query = query.options(
        db.joinedload(SecurityEvent.actor).lazyload("*"), db.joinedload(SecurityEvent.user).lazyload("*")
    )
    page = db.paginate(query, page=page_number(), per_page=EVENTS_PER_PAGE, error_out=False)
    filters = {
        "user": form.user.data or "",
        "kind": form.kind.data or "",
        "date_from": form.date_from.data.isoformat() if form.date_from.data else "",
        "date_to": form.date_to.data.isoformat() if form.date_to.data else "",
    }
    return render_template("admin/events.html", form=form, page=page, filters=filters, kind_labels=EVENT_KIND_LABELS)
