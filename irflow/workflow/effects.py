"""What a transition changes besides the state. Run by the Machine after the state is set."""

from datetime import timedelta

from . import allocation, notices


def on_submit(application, ctx):
    if application.submitted_at is None:
        application.submitted_at = ctx.now


def on_request_changes(application, ctx):
    application.changes_due_at = ctx.data.get("changes_due_at") or (
        ctx.now + timedelta(days=application.call.changes_reply_days)
    )


def on_resubmit(application, ctx):
    application.changes_due_at = None


def on_record_score(application, ctx):
    application.total_score = allocation.total_score(application, application.scores)


def on_select(application, ctx):
    application.allocated_place = ctx.place
    application.offer_deadline = ctx.now + timedelta(days=application.call.offer_reply_days)


def on_nominate(application, ctx):
    host = application.allocated_place.partner if application.allocated_place else None
    if host is not None and host.contact_email:
        notices.queue_nomination(application, host)


def on_depart(application, ctx):
    application.actual_departure = ctx.data["departure_date"]


def on_return_home(application, ctx):
    application.actual_return = ctx.data["return_date"]


EFFECTS = {
    "submit": on_submit,
    "resubmit": on_resubmit,
    "request_changes": on_request_changes,
    "record_score": on_record_score,
    "select": on_select,
    "nominate": on_nominate,
    "depart": on_depart,
    "return_home": on_return_home,
}
