"""The use cases of irflow/applications/operations.py where the pages cannot reach: a second
click that made its draft while this request was looking, and refusals as exceptions."""

import pytest

from irflow.applications import operations
from irflow.errors import Refused
from irflow.extensions import db
from irflow.models import Application

from .fixtures.factories import ApplicationFactory, UserFactory
from .fixtures.web import client_for, post, text_of


@pytest.fixture
def raced(monkeypatch):
    """The applicant's other request made the draft just after this one looked for it."""
    application = ApplicationFactory()
    real_lookup = operations._own_application_to
    looks = []

    def lookup(call, applicant):
        looks.append(call.id)
        return None if len(looks) == 1 else real_lookup(call, applicant)

    monkeypatch.setattr(operations, "_own_application_to", lookup)
    return application


def test_a_second_click_gets_the_draft_the_first_made_and_the_transaction_goes_on(app, raced):
    applicant = raced.applicant
    applicant.phone = "+992 92 000 00 00"  # earlier work of the same request
    db.session.flush()
    started = operations.start_application(raced.call, applicant)
    assert started == (raced, "double_click")
    # Only the insert was undone: the request's earlier work is still there to commit.
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(type(applicant), applicant.id).phone == "+992 92 000 00 00"
    assert db.session.scalar(db.select(db.func.count(Application.id))) == 1


def test_the_page_of_a_second_click_opens_the_draft_without_a_message(app, raced):
    client = client_for(app, raced.applicant)
    response = post(client, f"/applications/new/{raced.call_id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/applications/{raced.id}")
    page = text_of(client.get(response.headers["Location"]))
    assert "You already have an application to this call." not in page
    assert db.session.scalar(db.select(db.func.count(Application.id))) == 1


def test_an_edit_from_an_older_version_is_refused_as_changed_meanwhile(app):
    application = ApplicationFactory()
    for version in (application.version - 1, "", None, "seven"):
        with pytest.raises(operations.ChangedMeanwhile) as refusal:
            operations.ensure_version(application, version)
        assert isinstance(refusal.value, Refused) and "changed by someone else" in refusal.value.message
    operations.ensure_version(application, str(application.version))


def test_starting_a_closed_or_foreign_category_call_is_refused(app):
    application = ApplicationFactory()
    call = application.call
    call.eligible_categories = ["staff"]
    with pytest.raises(Refused, match="not open to your category"):
        operations.start_application(call, UserFactory(category="bachelor"))
    db.session.rollback()
