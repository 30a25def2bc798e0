"""Changes requested: the coordinator's comment and the date to resubmit by at the top of
the application, and nothing on the page says the application is complete meanwhile."""

from datetime import timedelta

import sqlalchemy as sa

from irflow.extensions import db
from irflow.i18n import format_moment
from irflow.models import Application, TransitionLog

from .fixtures.applications import edit_data, fire
from .fixtures.factories import UserFactory, application_in
from .fixtures.web import client_for, post, text_of

COMMENT = "Add the grades of the last term to the transcript."


def _changes_requested(app):
    application = application_in("submitted")
    coordinator = client_for(app, UserFactory(coordinates=[application.faculty]))
    assert fire(coordinator, application.id, "request_changes", comment=COMMENT).status_code == 302
    return db.session.get(Application, application.id)


def test_the_comment_and_the_date_to_resubmit_by_are_at_the_top(app):
    application = _changes_requested(app)
    owner = client_for(app, application.applicant)
    page = text_of(owner.get(f"/applications/{application.id}"))
    assert 'id="change-request"' in page
    banner = page[page.index('id="change-request"') :]
    banner = banner[: banner.index("</section>") if "</section>" in banner else None]
    assert COMMENT in banner
    with app.test_request_context():
        due = format_moment(application.changes_due_at)
    assert f"Resubmit by {due}." in banner
    # At the top: above the details, the documents and the history.
    assert page.index('id="change-request"') < page.index('id="details-heading"')
    assert page.index('id="change-request"') < page.index('id="next"')


def test_without_a_due_date_the_call_closing_date_is_given(app):
    application = _changes_requested(app)
    application.changes_due_at = None
    db.session.commit()
    owner = client_for(app, application.applicant)
    page = text_of(owner.get(f"/applications/{application.id}"))
    with app.test_request_context():
        closes = format_moment(application.call.closes_at)
    banner = page[page.index('id="change-request"') :]
    assert f"Resubmit by {closes}." in banner[: banner.index('id="next"')]


def test_nothing_says_complete_while_changes_are_requested(app):
    application = _changes_requested(app)
    owner = client_for(app, application.applicant)
    page = text_of(owner.get(f"/applications/{application.id}"))
    assert "complete" not in page.lower()
    panel = page[page.index('id="next"') :]
    panel = panel[: panel.index("</section>")]
    assert "Make the changes the coordinator asked for" in panel
    assert ">Make the changes</a>" in panel

    # The check page shows the request too, and does not call the application complete.
    page = text_of(owner.get(f"/applications/{application.id}/check"))
    assert COMMENT in page and "complete" not in page.lower()


def test_the_coordinator_sees_the_request_in_the_banner_too(app):
    application = _changes_requested(app)
    coordinator = client_for(app, UserFactory(coordinates=[application.faculty]))
    page = text_of(coordinator.get(f"/applications/{application.id}"))
    assert COMMENT in page[page.index('id="change-request"') :]


def test_once_the_changes_are_made_the_next_step_is_to_check_and_resubmit(app):
    application = _changes_requested(app)
    # The request was made an hour ago (written past the log's append-only guard on purpose).
    an_hour_ago = application.updated_at - timedelta(hours=1)
    db.session.execute(
        sa.update(TransitionLog).where(TransitionLog.application_id == application.id).values(created_at=an_hour_ago)
    )
    db.session.execute(sa.update(Application).where(Application.id == application.id).values(updated_at=an_hour_ago))
    db.session.commit()
    owner = client_for(app, application.applicant)
    base = f"/applications/{application.id}"
    assert f'id="next-step" href="{base}/edit">Make the changes</a>' in text_of(owner.get(base))
    response = post(owner, f"{base}/edit", edit_data(application, motivation="With the grades of the last term."))
    assert response.status_code == 302
    assert f'id="next-step" href="{base}/check">Check and resubmit</a>' in text_of(owner.get(base))
