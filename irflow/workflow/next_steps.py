"""What happens next to an application, told to its owner: the one place that words it for
each state, read by the application's page, the list of applications and the message each
state change sends. Dates are formatted when the text is made, so a message made inside
the recipient's locale and zone (services/mail.queue_for_user) tells them in theirs."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from ..extensions import db
from ..i18n import format_day, format_moment
from ..models import Application
from ..models.base import utcnow

if TYPE_CHECKING:
    from ..models import Call


class Deadline(NamedTuple):
    """The date the owner is working to now, and the words that show it."""

    text: str
    at: datetime | date


def report_due_date(application: Application) -> date | None:
    """The day by which the report is due: REPORT_DUE_DAYS after the return (None before it)."""
    if application.actual_return is None:
        return None
    return application.actual_return + timedelta(days=current_app.config["REPORT_DUE_DAYS"])


def changes_due_by(application: Application) -> datetime:
    """Until when requested changes may be resubmitted: the request's date, else the call's closing."""
    return application.changes_due_at or application.call.closes_at


def deadline_now(application: Application, now: datetime | None = None) -> Deadline | None:
    """The deadline that matters to the owner in the application's state, if any: the call's
    closing for a draft, the changes' due date, the offer's deadline, the report's due date.
    Reads the application and its call only (the list of applications asks it per row)."""
    state = application.state
    if state == "draft":
        closes_at = application.call.closes_at
        if closes_at <= (now or utcnow()):
            return None  # a closed call's draft can no longer be submitted
        return Deadline(_("Submit by %(date)s", date=format_moment(closes_at)), closes_at)
    if state == "changes_requested":
        due = changes_due_by(application)
        return Deadline(_("Changes due %(date)s", date=format_moment(due)), due)
    if state == "selected" and application.offer_deadline:
        return Deadline(
            _("Reply to the offer by %(date)s", date=format_moment(application.offer_deadline)),
            application.offer_deadline,
        )
    if state == "returned" and (due := report_due_date(application)):
        return Deadline(_("Report due: %(date)s", date=format_day(due)), due)
    return None


def what_happens_next(application: Application, trigger: str | None = None) -> list[str]:
    """What happens next, in paragraphs, for the owner of `application`. `trigger`: the one
    that brought it to its state, where that changes the story (a returned report)."""
    now = utcnow()
    call = application.call
    state = application.state
    host = application.allocated_place.partner.name if application.allocated_place else None
    other_calls = _("You may apply to other open calls.")

    if state == "draft":
        if call.closes_at <= now:
            return [
                _(
                    "The call closed on %(date)s: this draft can no longer be submitted.",
                    date=format_moment(call.closes_at),
                )
            ]
        return [
            _(
                "Submit your application by %(date)s, when the call closes. The coordinators of your faculty then "
                "check it.",
                date=format_moment(call.closes_at),
            )
        ]
    if state == "changes_requested":
        return [
            _("Please make the changes and resubmit by %(due)s.", due=format_moment(changes_due_by(application))),
            _("The coordinators of your faculty then check it again."),
        ]
    if state == "submitted":
        return [
            _(
                "The coordinators of your faculty check your application. They find it eligible for the test or ask "
                "you for changes; you are told by e-mail."
            ),
            _test_text(call, now),
        ]
    if state == "eligible":
        return [_("Your application is eligible: you take the selection test."), _test_text(call, now)]
    if state == "tested":
        if call.closes_at > now:
            when = _(
                "The results come after the call closes on %(date)s: the department then ranks the tested applicants "
                "and selects them for the places.",
                date=format_moment(call.closes_at),
            )
        else:
            when = _("The call has closed: the department ranks the tested applicants and selects them for the places.")
        return [when, _("You are told the result by e-mail.")]
    if state == "selected":
        deadline = application.offer_deadline
        if deadline is not None and deadline < now:
            return [_("The deadline has passed: the offer has lapsed and the place will go to the waiting list.")]
        lines = []
        if deadline is not None and host:
            lines.append(
                _(
                    "You have been offered a place at %(host)s. Confirm or decline it by %(deadline)s.",
                    host=host,
                    deadline=format_moment(deadline),
                )
            )
        return lines + [
            _("If you confirm, the place is yours and the coordinator nominates you to the host."),
            _(
                "If you decline, or do not confirm by the deadline, the place goes to the next applicant on the "
                "waiting list. This cannot be undone."
            ),
        ]
    if state == "waitlisted":
        lines = [
            _(
                "You are on the waiting list. When a place at a host you chose becomes free, it goes at once to the "
                "best-ranked applicant waiting for it; if that is you, you are told by e-mail."
            )
        ]
        answers_due = _last_open_offer(call, now)
        if answers_due is not None:
            lines.append(
                _(
                    "The applicants offered a place have until %(date)s to answer; a place may also become free "
                    "later, if a participant withdraws.",
                    date=format_moment(answers_due),
                )
            )
        else:
            lines.append(_("A place may still become free if a participant withdraws or is not accepted by the host."))
        return lines
    if state == "confirmed":
        return [
            _(
                "You have confirmed your place at %(host)s. The coordinator now nominates you to the host; you are "
                "told by e-mail.",
                host=host,
            )
        ]
    if state == "nominated":
        return [
            _(
                "You have been nominated to %(host)s. Now the host decides: the coordinator records its answer and "
                "you are told by e-mail.",
                host=host,
            )
        ]
    if state == "host_accepted":
        return [
            _(
                "%(host)s has accepted you. Prepare your departure: visa, travel, insurance and the documents the "
                "host asks for.",
                host=host,
            ),
            _("Once you have left, record the date of your departure on your application's page."),
        ]
    if state == "abroad":
        days = current_app.config["REPORT_DUE_DAYS"]
        return [
            _("When you are back, record the date of your return on your application's page."),
            ngettext(
                "Your return report is then due %(num)d day after the return.",
                "Your return report is then due %(num)d days after the return.",
                days,
            ),
        ]
    if state == "returned":
        due = report_due_date(application)
        if trigger == "return_report":
            first = _("The coordinator has returned your report: see the comment and make the changes.")
        else:
            first = _("Fill in your return report and upload the documents it asks for.")
        if due is None:
            return [first]
        return [first, _("Submit the report by %(date)s.", date=format_day(due))]
    if state == "report_submitted":
        return [
            _(
                "The coordinator checks your report: they approve it, which completes your mobility, or return it to "
                "you with a comment."
            )
        ]
    if state == "completed":
        return [_("Your report has been approved and your mobility is complete. Nothing more is needed from you.")]
    if state == "not_selected":
        return [_("You have not been selected in this call."), other_calls]
    if state == "ineligible":
        return [_("Your application was found not eligible; the comment says why."), other_calls]
    if state == "absent":
        return [_("You did not take the test, so this application ends here."), other_calls]
    if state == "declined":
        return [_("The place has been declined and goes to the next applicant on the waiting list."), other_calls]
    if state == "host_rejected":
        return [_("The host has not accepted you; the comment says why. The place is freed."), other_calls]
    if state == "cancelled":
        return [_("The department has cancelled this application; the comment says why."), other_calls]
    if state == "withdrawn":
        if call.is_open(now):
            return [
                _(
                    "You have withdrawn this application. While the call is open, until %(date)s, you may apply to it "
                    "again.",
                    date=format_moment(call.closes_at),
                )
            ]
        return [_("You have withdrawn this application."), other_calls]
    return []


def _test_text(call: Call, now: datetime) -> str:
    """When and where the call's test is, as far as the department has set them."""
    place = call.test_place
    if call.test_at is None:
        if place:
            return _("The department will announce the date of the test; it takes place at %(place)s.", place=place)
        return _("The department will announce the date and place of the test.")
    when = format_moment(call.test_at)
    if call.test_at < now:
        return _("The test took place on %(time)s; the examiners enter the scores.", time=when)
    if place:
        return _("The test is on %(time)s at %(place)s.", time=when, place=place)
    return _("The test is on %(time)s; the department will announce the place.", time=when)


def _last_open_offer(call: Call, now: datetime) -> datetime | None:
    """The latest deadline of the call's offers still waiting for an answer."""
    return db.session.scalar(
        sa.select(sa.func.max(Application.offer_deadline)).where(
            Application.call_id == call.id, Application.state == "selected", Application.offer_deadline > now
        )
    )
