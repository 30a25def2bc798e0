"""The request is the unit of work: one commit when the view has succeeded, a rollback on
any error, here and nowhere else in the web layer.

The commit runs inside the view's dispatch, so an error it raises (a stale version, a
unique constraint hit by a double click) reaches the error handlers of `web.errors` like
any other, and the user gets a message instead of a 500. A response of 400 or more (a
form re-rendered with its errors) is a refusal: what the view did is rolled back.

What the database cannot undo follows the same fate: a rollback also runs the callbacks
registered with `after_rollback` (a file placed for a row that will not exist) and takes
back the messages the view flashed ("saved" must not survive a save that failed), and
`after_commit` callbacks (a cookie that names what was just saved) run only once the
commit has gone through.
"""

from flask import Flask, g, session

from ..extensions import db

_ROLLBACK_CALLBACKS = "irflow_after_rollback"
_COMMIT_CALLBACKS = "irflow_after_commit"
_FLASHES_BEFORE = "irflow_flashes_before"


def after_rollback(callback):
    """Run `callback()` if this request's work is rolled back."""
    g.setdefault(_ROLLBACK_CALLBACKS, []).append(callback)


def after_commit(callback):
    """Run `callback()` once this request's work is committed (never if it is rolled back)."""
    g.setdefault(_COMMIT_CALLBACKS, []).append(callback)


def commit():
    db.session.commit()
    g.pop(_ROLLBACK_CALLBACKS, None)
    for callback in g.pop(_COMMIT_CALLBACKS, []):
        callback()


def rollback():
    db.session.rollback()
    g.pop(_COMMIT_CALLBACKS, None)
    for callback in reversed(g.pop(_ROLLBACK_CALLBACKS, [])):
        callback()
    _take_back_flashes()


def _take_back_flashes():
    before = g.pop(_FLASHES_BEFORE, None)
    if before is None:
        return
    flashes = session.get("_flashes", [])
    if len(flashes) > before:
        session["_flashes"] = flashes[:before]


class UnitOfWorkFlask(Flask):
    def dispatch_request(self):
        # The messages already waiting (from an earlier request) are not this request's to take back.
        g.setdefault(_FLASHES_BEFORE, len(session.get("_flashes", ())))
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
