"""The request is the unit of work: one commit when the view has succeeded, a rollback on
any error, here and nowhere else in the web layer.

The commit runs inside the view's dispatch, so an error it raises (a stale version, a
unique constraint hit by a double click) reaches the error handlers of `web.errors` like
any other, and the user gets a message instead of a 500. A response of 400 or more (a
form re-rendered with its errors) is a refusal: what the view did is rolled back.
"""

from flask import Flask, g

from ..extensions import db

_ROLLBACK_CALLBACKS = "irflow_after_rollback"


def after_rollback(callback):
    """Run `callback()` if this request's work is rolled back: undoes what the database
    cannot (a file moved into the upload folder for a row that will not exist)."""
    g.setdefault(_ROLLBACK_CALLBACKS, []).append(callback)


def commit():
    db.session.commit()
    g.pop(_ROLLBACK_CALLBACKS, None)


def rollback():
    db.session.rollback()
    for callback in reversed(g.pop(_ROLLBACK_CALLBACKS, [])):
        callback()


class UnitOfWorkFlask(Flask):
    def dispatch_request(self):
        try:
            response = self.make_response(super().dispatch_request())
            if response.status_code < 400:
                commit()
            else:
                rollback()
        except BaseException:
            rollback()
            raise
        return response
