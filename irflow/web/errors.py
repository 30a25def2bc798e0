"""Every error a request can end in, answered in one place.

A refusal by a use case (`irflow.errors.Refused`, `WorkflowError` among them), data changed
by someone else since the form was rendered (StaleDataError) and a unique constraint hit by
a second click (IntegrityError) become a message and a redirect back — to the page the view
named with `back_to()`, else the page the user came from — or the page a view set up with
`when_refused()` (a form shown again with what was typed). HTTP errors get the error page.
The request's work is rolled back before any of these answers.
"""

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import BadRequest

from ..errors import Refused
from . import unit_of_work
from .safety import is_local_url

_BACK_URL = "irflow_back_url"
_REFUSAL_PAGE = "irflow_refusal_page"
# endpoint -> answer(message) for a request too large to read (413): the view never runs.
_TOO_LARGE_ANSWERS = {}


def when_too_large(endpoint, answer):
    """Answer a request to `endpoint` over MAX_CONTENT_LENGTH with `answer(message)` (say, a
    redirect back to the form with the message) instead of the error page."""
    _TOO_LARGE_ANSWERS[endpoint] = answer


def back_to(url):
    """Where a refused request of this view sends the user (default: the page they came from)."""
    setattr(g, _BACK_URL, url)


def when_refused(page):
    """On a refusal, answer `page(error)` instead of a redirect: the view's form shown again
    with what was typed and the reason. `error` is the Refused, StaleDataError or IntegrityError."""
    setattr(g, _REFUSAL_PAGE, page)


def _back_url():
    target = g.get(_BACK_URL)
    if target:
        return target
    target = request.referrer
    return target if target and is_local_url(target) else url_for("calls.index")


def _answer_refusal(error, messages):
    unit_of_work.rollback()
    page = g.pop(_REFUSAL_PAGE, None)
    if page is not None:
        return page(error)
    first, *more = messages
    flash(first, "danger" if isinstance(error, Refused) else "warning")
    for message in more:
        flash(message, "danger")
    return redirect(_back_url())


def refused(error):
    return _answer_refusal(error, [error.message, *error.problems])


def changed_meanwhile(error):
    return _answer_refusal(error, [changed_by_someone_else_message()])


def done_meanwhile(error):
    # Kept in the log with its trace: a constraint hit that is no double click is a defect.
    current_app.logger.warning("Refused by a database constraint, answered with a message", exc_info=error)
    return _answer_refusal(
        error, [_("This was changed by another request at the same moment. Nothing was saved twice; please check.")]
    )


def changed_by_someone_else_message():
    return _("This record was changed by someone else. Nothing was saved; please check and try again.")


def database_refused_value(error):
    unit_of_work.rollback()
    # The last resort for a value the forms let through (a defect to fix where it came in):
    # logged as an error with its trace, answered as a bad request.
    current_app.logger.error("Input refused by the database, answered 400", exc_info=error)
    return current_app.handle_http_exception(BadRequest())


def _render_error(code, title, message):
    return render_template("errors/error.html", code=code, title=title, message=message), code


def init_app(app):
    app.register_error_handler(Refused, refused)
    app.register_error_handler(StaleDataError, changed_meanwhile)
    app.register_error_handler(IntegrityError, done_meanwhile)
    app.register_error_handler(DataError, database_refused_value)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render_error(
            400,
            _("The form has expired"),
            _("The form could not be accepted. Go back, reload the page and try again."),
        )

    messages = {
        400: (lambda: _("Bad request"), lambda: _("The request could not be understood.")),
        403: (lambda: _("Not allowed"), lambda: _("You do not have permission to see this page.")),
        404: (lambda: _("Not found"), lambda: _("There is nothing here, or you may not see it.")),
        405: (lambda: _("Not allowed"), lambda: _("This address does not accept that kind of request.")),
        413: (
            lambda: _("File too large"),
            lambda: _(
                "The upload is larger than the %(size)s MB allowed. Nothing was saved; "
                "choose a smaller file and try again.",
                size=format_decimal(round(app.config["MAX_CONTENT_LENGTH"] / (1024 * 1024), 1)),
            ),
        ),
        429: (lambda: _("Too many attempts"), lambda: _("Please wait a little and try again.")),
        500: (lambda: _("Something went wrong"), lambda: _("The error has been logged. Please try again later.")),
    }

    def make_handler(code):
        def handler(error):
            unit_of_work.rollback()
            title, message = messages[code]
            answer = _TOO_LARGE_ANSWERS.get(request.endpoint) if code == 413 else None
            if answer is not None:
                return answer(message())
            return _render_error(code, title(), message())

        return handler

    for code in messages:
        app.register_error_handler(code, make_handler(code))
