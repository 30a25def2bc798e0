"""The review queue: applications a coordinator (or the head) screens and follows, many at
once where the step is the same for all (approve eligibility, request changes), and one
after the other from an application's page ("next in the queue")."""

from urllib.parse import urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from .. import web
from ..applications import policy as application_policy
from ..applications.forms import ActionForm
from ..extensions import db
from ..models.base import CATEGORIES, utcnow
from ..web.access import role_required
from ..web.links import row_link, with_query
from ..workflow import STATE_LABELS, TRANSITIONS_BY_TRIGGER
from . import bp, operations
from .forms import BulkForm, ReviewFilterForm
from .navigation import REVIEWERS, QueueNavigation, queue_navigation
from .queries import ReviewQueue, call_choices_query, faculty_choices_query, state_counts
from .results import QueuePage, SearchPage, keep_bulk_results, take_bulk_results

PAGE_SIZE = 50

# The application's page asks for its links back to the queue and on to the next one.
bp.add_app_template_global(queue_navigation, "queue_navigation")


def _viewer():
    return current_user._get_current_object()


def _filter_form(args):
    calls = db.session.execute(call_choices_query(current_user)).all()
    faculties = db.session.execute(faculty_choices_query(current_user)).all()
    return ReviewFilterForm(args, calls=calls, faculties=faculties)


@bp.route("/")
@role_required(*REVIEWERS)
def index():
    return _render_queue(BulkForm(formdata=None))


def _render_queue(bulk_form, status=200):
    form = _filter_form(request.args)
    filters, page_number, ignored = form.filter_values()
    queue = ReviewQueue(current_user, **filters)
    if queue.searching:
        counts = None
        page = SearchPage(queue, page=page_number, per_page=PAGE_SIZE)
        if not page.items and page_number > 1:  # beyond the last page found
            return redirect(url_for("review.index", **form.link_args(page=None)))
    else:
        counts = state_counts(db.session.execute(queue.counts_query()).all())
        # The state counts leave out only the state filter: the total is theirs, not a second count.
        total = counts.get(filters["state"], 0) if filters["state"] else sum(counts.values())
        page = QueuePage(queue, page=page_number, per_page=PAGE_SIZE, total=total)
    page_args = form.link_args(page=page.page if page.page > 1 else None)
    queue_query = urlencode(page_args)
    return render_template(
        "review/index.html",
        form=form,
        page=page,
        **_row_texts(form, page.items, queue_query),
        counts=counts,
        counts_total=sum(counts.values()) if counts is not None else None,
        ignored=ignored,
        now=utcnow(),
        bulk_form=bulk_form,
        may_act=_viewer().has_role("coordinator"),
        ticked=bulk_form.ticked_ids() if bulk_form.row.data else set(),
        results=take_bulk_results(_viewer()) if request.method == "GET" else None,
        page_args=page_args,
        queue_query=queue_query,
    ), status


def _row_texts(form, rows, queue_query):
    """What the page repeats, made once for it rather than once per row or link: the links
    to the queue with other filters, the labels of the states and categories on it, the
    link to an application (with the row's number put in) and the tick box's label."""
    queue_path = url_for("review.index")
    return {
        # The queue with the filters shown, changed as given (the state pills, the sort headers).
        "queue_link": lambda **changes: with_query(queue_path, form.link_args(**changes)),
        "page_link": lambda number: with_query(queue_path, form.link_args(page=number)),
        "state_labels": {state: str(STATE_LABELS[state]) for state in {row.state for row in rows}},
        "category_labels": {
            category: str(CATEGORIES.get(category, category)) for category in {row.category for row in rows}
        },
        "detail_link": row_link("applications.detail", "id", queue=queue_query),
        "tick_label": _("Tick %(name)s"),
    }


@bp.route("/bulk", methods=["POST"])
@role_required("coordinator")
def bulk():
    """Fire one trigger on every ticked row (the queue's filters ride in the query string).
    Each row is done or refused on its own; the answer is the queue with the results."""
    form = BulkForm()
    if not form.validate():
        # The queue again with the ticks kept and the reason next to the field; nothing changed.
        return _render_queue(form, 400)
    results = operations.fire_for_each(form.row.data, form.action.data, _viewer(), comment=form.comment.data)
    keep_bulk_results(form.action.data, results)
    filter_form = _filter_form(request.args)
    filter_form.filter_values()
    page = filter_form.page.data if filter_form.page.data and filter_form.page.data > 1 else None
    return redirect(url_for("review.index", **filter_form.link_args(page=page), _anchor="bulk-results"))


def _next_in_queue(navigation, application_id):
    form = _filter_form(MultiDict(navigation.filter_args()))
    filters, _page, _ignored = form.filter_values()
    return db.session.scalar(ReviewQueue(current_user, **filters).next_after_query(application_id))


def _go_on(navigation, next_id):
    if next_id is None:
        flash(_("That was the last application in the queue."), "info")
        return redirect(navigation.back_url)
    return redirect(navigation.detail_url(next_id))


@bp.route("/next/<int:id>")
@role_required(*REVIEWERS)
def next_after(id):
    """The application after `id` in the queue named by `queue`, or the queue at its end."""
    navigation = queue_navigation() or QueueNavigation({})
    return _go_on(navigation, _next_in_queue(navigation, id))


@bp.route("/applications/<int:id>/fire/<trigger>", methods=["POST"])
@role_required(*REVIEWERS)
def act_and_next(id, trigger):
    """An action of the application's page ("... and next"): done as there, then on to the
    next application of the queue the coordinator came from."""
    application = application_policy.application_or_404(id, current_user)
    if trigger not in TRANSITIONS_BY_TRIGGER:
        abort(404)
    navigation = queue_navigation() or QueueNavigation({})
    detail_url = navigation.detail_url(application.id)
    form = ActionForm()
    form.validate()
    if form.comment.errors:
        for error in form.comment.errors:
            flash(error, "danger")
        return redirect(detail_url)
    web.back_to(detail_url)
    # The queue as it was shown: found before the action moves this application in it.
    next_id = _next_in_queue(navigation, application.id)
    operations.act(
        application, trigger, _viewer(), comment=form.comment.data, version=form.version.data or "", date=form.date.data
    )
    flash(
        _(
            "Done: application %(number)s is now “%(state)s”.",
            number=application.id,
            state=STATE_LABELS[application.state],
        ),
        "success",
    )
    return _go_on(navigation, next_id)
