"""The messages pages.

GET  /messages/                      the group messages sent (the head: all; a coordinator: theirs)
GET  /messages/new                   write to a group; `application_ids` (repeated) chooses applications
POST /messages/new                   `step=preview`: the recipients and the text before sending;
                                     without it (the review queue posting its ticked rows, or
                                     "Change" on the preview): the form filled in again
POST /messages/send                  send what the preview showed, once
GET  /messages/notices               the automatic notices and the languages the head has rewritten
GET  /messages/notices/<kind>/<lang> the head's text of a notice (POST: preview or save)
POST /messages/notices/<kind>/<lang>/reset   back to the built-in text
"""

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .. import web
from ..bad_input import page_number
from ..errors import Refused
from ..extensions import db
from ..models import NoticeText
from ..models.base import LOCALES
from ..web.access import allowed_if
from ..workflow import TRANSITIONS, TRANSITIONS_BY_TRIGGER
from ..workflow.notice_texts import PLACEHOLDERS, built_in_text, custom_text, unknown_placeholders
from . import bp, operations
from .forms import ComposeForm, NoticeTextForm, SendForm
from .operations import GROUP_PLACEHOLDERS, GroupChanged
from .policy import may_edit_notices, may_send_group_messages
from .queries import GROUP_LABELS, MAX_APPLICATIONS, call_choices, sent_messages_query, unknown_application_ids

PAGE_SIZE = 50
# Names the preview lists before "and N more".
PREVIEW_NAMES = 10


def _sender():
    return current_user._get_current_object()


def _application_ids(values):
    """The repeated `application_ids` of a query string or form (or the ticked rows of the
    review queue), each one an application the sender reviews; anything else is a 404, as a
    wrong id anywhere."""
    # The review queue's tick boxes post "id:version" as `row`.
    raw = values.getlist("application_ids") or [row.partition(":")[0] for row in values.getlist("row")]
    if len(raw) > MAX_APPLICATIONS:
        abort(400)
    ids = []
    for value in raw:
        value = value.strip()
        if not (value.isascii() and value.isdigit()) or len(value) > 9:
            abort(404)
        if int(value) not in ids:
            ids.append(int(value))
    if unknown_application_ids(_sender(), ids):
        abort(404)
    return tuple(ids)


def _draft(form):
    return operations.Draft(
        group=form.group.data,
        call_id=form.call_id(),
        application_ids=form.application_ids,
        subject=form.subject.data,
        body=form.body.data,
    )


# --- group messages ------------------------------------------------------------------------------


@bp.route("/messages/")
@allowed_if(may_send_group_messages)
def index():
    user = _sender()
    page = db.paginate(
        sent_messages_query(user), page=page_number(), per_page=PAGE_SIZE, max_per_page=PAGE_SIZE, error_out=False
    )
    return render_template(
        "messages/index.html", page=page, group_labels=GROUP_LABELS, may_edit_notices=may_edit_notices(user)
    )


def _compose_page(form, status=200):
    return render_template(
        "messages/compose.html", form=form, placeholders={name: PLACEHOLDERS[name] for name in GROUP_PLACEHOLDERS}
    ), status


@bp.route("/messages/new", methods=["GET", "POST"])
@allowed_if(may_send_group_messages)
def compose():
    user = _sender()
    values = request.form if request.method == "POST" else request.args
    form = ComposeForm(values, calls=call_choices(user), application_ids=_application_ids(values))
    if request.method == "GET" or request.form.get("step") != "preview":
        # The form (again), filled with what was given; nothing checked before the preview.
        return _compose_page(form)
    if not form.validate():
        return _compose_page(form, 400)

    def refused(error):
        form.group.errors = [*form.group.errors, error.message]
        return _compose_page(form, 400)

    web.when_refused(refused)
    recipients = operations.recipients_of(user, _draft(form))
    first = recipients[0]
    subject, body = operations.personal_copy(form.subject.data, form.body.data, first)
    return render_template(
        "messages/preview.html",
        form=form,
        recipients=recipients,
        shown=recipients[:PREVIEW_NAMES],
        first=first,
        subject=subject,
        body=body,
        unknown=unknown_placeholders(f"{form.subject.data}\n{form.body.data}", GROUP_PLACEHOLDERS),
        key=secrets.token_hex(16),
        group_label=GROUP_LABELS[form.group.data],
        call_label=dict(form.call.choices).get(form.call.data) if form.call_id() else None,
    )


@bp.route("/messages/send", methods=["POST"])
@allowed_if(may_send_group_messages)
def send():
    user = _sender()
    form = SendForm(request.form, calls=call_choices(user), application_ids=_application_ids(request.form))
    if not form.validate():
        # Only a changed or forged page gets here: the preview had checked the same values.
        return _compose_page(form, 400)

    def refused(error):
        if isinstance(error, GroupChanged):
            flash(error.message, "warning")
            return _compose_page(form, 409)
        if isinstance(error, Refused):
            form.group.errors = [*form.group.errors, error.message]
            return _compose_page(form, 400)
        # The same preview sent by a second request at the same moment (its key is taken).
        flash(_("This message had been sent already; it was not sent again."), "info")
        return redirect(url_for("messages.index"))

    web.when_refused(refused)
    message, sent_now = operations.send_group_message(user, _draft(form), form.key.data, form.expected.data)
    if sent_now:
        flash(
            ngettext(
                "The message is on its way to %(num)d recipient.",
                "The message is on its way to %(num)d recipients.",
                message.recipient_count,
            ),
            "success",
        )
    else:
        flash(_("This message had been sent already; it was not sent again."), "info")
    return redirect(url_for("messages.index"))


# --- the texts of the automatic notices -------------------------------------------------------------


def _notice_or_404(kind, language):
    transition = TRANSITIONS_BY_TRIGGER.get(kind)
    if transition is None or language not in LOCALES:
        abort(404)
    return transition


@bp.route("/messages/notices")
@allowed_if(may_edit_notices)
def notices():
    rewritten = set(db.session.execute(db.select(NoticeText.kind, NoticeText.language)).tuples())
    return render_template("messages/notices.html", transitions=TRANSITIONS, rewritten=rewritten)


@bp.route("/messages/notices/<kind>/<language>", methods=["GET", "POST"])
@allowed_if(may_edit_notices)
def notice(kind, language):
    transition = _notice_or_404(kind, language)
    custom = custom_text(kind, language)
    default_subject, default_body = built_in_text(transition, language)
    if custom is not None:
        data = {"subject": custom.subject, "body": custom.body}
    else:
        data = {"subject": default_subject, "body": default_body}
    form = NoticeTextForm(data=data)
    preview = None
    status = 200
    if form.validate_on_submit():
        if request.form.get("action") != "preview":
            operations.save_notice_text(_sender(), kind, language, form.subject.data, form.body.data)
            flash(_("The text is saved: this notice is sent with it from now on."), "success")
            return redirect(url_for("messages.notices"))
        preview = operations.sample_notice(transition, language, form.subject.data, form.body.data)
    elif request.method == "POST":
        status = 400
    return render_template(
        "messages/notice_form.html",
        form=form,
        transition=transition,
        language=language,
        custom=custom,
        preview=preview,
        unknown=unknown_placeholders(f"{form.subject.data}\n{form.body.data}") if preview else [],
        placeholders=PLACEHOLDERS,
    ), status


@bp.route("/messages/notices/<kind>/<language>/reset", methods=["POST"])
@allowed_if(may_edit_notices)
def reset_notice(kind, language):
    _notice_or_404(kind, language)
    if not web.EmptyForm().validate_on_submit():
        abort(400)
    if operations.reset_notice_text(kind, language):
        flash(_("The notice is back to the built-in text."), "success")
    return redirect(url_for("messages.notices"))
