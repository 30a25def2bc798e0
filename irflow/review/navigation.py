"""From the queue to an application and on: the queue's filters travel along as one
query-string argument, `queue`, so that "next" follows the queue the coordinator came from.

`queue` is read as a query string of the queue's own arguments only; anything else in it is
dropped, and the links built from it are made by url_for, so it can never lead off the site."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from flask import request, url_for
from flask_login import current_user

from ..web.access import has_any_role

QUEUE_ARGS = ("q", "call", "state", "faculty", "sort", "direction", "page")
MAX_QUEUE_LENGTH = 1000
REVIEWERS = ("coordinator", "head")


def clean_queue_args(raw):
    """The queue's arguments in `raw` (a query string), or None when it is no such thing."""
    if raw is None or len(raw) > MAX_QUEUE_LENGTH or any(ord(ch) < 32 or ch in "#\\" for ch in raw):
        return None
    try:
        pairs = parse_qsl(raw, max_num_fields=2 * len(QUEUE_ARGS))
    except ValueError:
        return None
    args = {}
    for key, value in pairs:
        if key in QUEUE_ARGS and key not in args and value:
            args[key] = value
    return args


@dataclass(frozen=True)
class QueueNavigation:
    """The links of an application's page for a reviewer who came from the queue."""

    args: dict

    @property
    def query(self):
        return urlencode(self.args)

    @property
    def back_url(self):
        return url_for("review.index", **self.args)

    def next_url(self, application):
        return url_for("review.next_after", id=application.id, queue=self.query)

    def act_and_next_url(self, application, trigger):
        return url_for("review.act_and_next", id=application.id, trigger=trigger, queue=self.query)

    def detail_url(self, application_id):
        return url_for("applications.detail", id=application_id, queue=self.query)

    def filter_args(self):
        """The arguments the queue's filter form reads (without the page)."""
        return {key: value for key, value in self.args.items() if key != "page"}


def queue_navigation():
    """The queue links for this request, or None: the page was not reached from the queue,
    the viewer does not review, or `queue` is not the queue's query string."""
    if "queue" not in request.args or not has_any_role(current_user, REVIEWERS):
        return None
    args = clean_queue_args(request.args.get("queue"))
    return None if args is None else QueueNavigation(args)
