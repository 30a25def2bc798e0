"""A page of the queue, and the per-row results of a bulk action kept for the page after
the redirect (Post/Redirect/Get)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import session
from flask_sqlalchemy.pagination import Pagination

from ..extensions import db
from ..models import Application, User
from ..web.unit_of_work import after_commit
from ..workflow import TRANSITIONS_BY_TRIGGER
from .queries import review_scope

_RESULTS = "irflow_review_bulk_results"


class QueuePage(Pagination):
    """Flask-SQLAlchemy's page, filled by the queue's own two-step page query, with the
    total the caller already knows (from the state counts) instead of a count query."""

    def __init__(self, queue, page, per_page, total):
        super().__init__(page=page, per_page=per_page, max_per_page=per_page, error_out=False, queue=queue, total=total)

    def _query_items(self):
        query = self._query_args["queue"].page_rows_query(self.page, self.per_page)
        return db.session.execute(query).all()

    def _query_count(self):
        return self._query_args["total"]


class SearchPage(QueuePage):
    """A page of a search's results, found without counting them all: one row more than the
    page is read to know whether another page follows. A common name matches thousands of
    applications, and counting them (per state, for the totals) cost more than the rest
    of the page; the results are read in the queue's order from its index.

    `total` is exact when no page follows (`exact`); otherwise it is that of the pages
    known so far, which the pager shows: this one and the next."""

    def __init__(self, queue, page, per_page):
        super().__init__(queue, page, per_page, total=None)

    def _query_items(self):
        query = self._query_args["queue"].page_rows_query(self.page, self.per_page, one_more=True)
        rows = db.session.execute(query).all()
        self.exact = len(rows) <= self.per_page
        return rows[: self.per_page]

    def _query_count(self):
        before = (self.page - 1) * self.per_page
        return before + len(self.items) + (0 if self.exact else 1)


def keep_bulk_results(trigger, results):
    """Keep `results` (RowResult list) for the next page, once the work is committed. The
    session cookie is small: each distinct reason is kept once, the rows point at it."""
    reasons, rows = [], []
    for result in results:
        if result.done:
            rows.append([result.application_id, None])
            continue
        if result.reason not in reasons:
            reasons.append(result.reason)
        rows.append([result.application_id, reasons.index(result.reason)])
    kept = {"trigger": trigger, "rows": rows, "reasons": reasons}
    after_commit(lambda: session.__setitem__(_RESULTS, kept))


@dataclass(frozen=True)
class ShownRow:
    application_id: int
    name: str | None  # None for an application out of the viewer's scope: nothing is told of it
    done: bool
    reason: str | None


@dataclass(frozen=True)
class BulkResults:
    action: str
    rows: list[ShownRow]

    @property
    def done(self):
        return sum(1 for row in self.rows if row.done)

    @property
    def refused(self):
        return len(self.rows) - self.done


def take_bulk_results(viewer):
    """The results kept by the last bulk action (once), with the applicants' names."""
    kept = session.pop(_RESULTS, None)
    if not kept or kept.get("trigger") not in TRANSITIONS_BY_TRIGGER:
        return None
    ids = [row[0] for row in kept["rows"]]
    names = dict(
        db.session.execute(
            sa.select(Application.id, User.full_name_latin)
            .join(User, Application.applicant_id == User.id)
            .where(Application.id.in_(ids), review_scope(viewer))
        ).all()
    )
    reasons = kept["reasons"]
    rows = [
        ShownRow(application_id, names.get(application_id), reason is None, None if reason is None else reasons[reason])
        for application_id, reason in kept["rows"]
    ]
    return BulkResults(str(TRANSITIONS_BY_TRIGGER[kept["trigger"]].label), rows)
