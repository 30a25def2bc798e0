"""State changes only through workflow.fire(): assigning it elsewhere raises, and the fire
route refuses a post that does not say which version of the application it was made on."""

import pytest

from irflow.extensions import db
from irflow.models import Application
from irflow.models.application import StateChangeOutsideWorkflow
from irflow.workflow import fire

from .fixtures.factories import UserFactory, application_in, log_rows, stored_state
from .fixtures.web import client_for, post


def test_assigning_the_state_directly_raises(app):
    application = application_in("submitted")
    with pytest.raises(StateChangeOutsideWorkflow):
        application.state = "eligible"
    assert application.state == "submitted"
    db.session.rollback()
    assert stored_state(application)[0] == "submitted"


def test_a_new_application_may_only_start_as_a_draft(app):
    assert Application(state="draft").state == "draft"
    with pytest.raises(StateChangeOutsideWorkflow):
        Application(state="completed")


def test_fire_changes_the_state_and_the_door_closes_again(app):
    application = application_in("submitted")
    coordinator = UserFactory(coordinates=[application.faculty])
    fire(application, "approve_eligibility", coordinator, version=application.version)
    db.session.commit()
    assert stored_state(application)[0] == "eligible"
    with pytest.raises(StateChangeOutsideWorkflow):
        application.state = "tested"


@pytest.mark.parametrize("version", [None, "", "not-a-number"])
def test_a_fire_post_without_its_version_is_refused(app, version):
    application = application_in("submitted")
    coordinator = UserFactory(coordinates=[application.faculty])
    data = {"comment": ""} if version is None else {"comment": "", "version": version}
    before = stored_state(application)
    client = client_for(app, coordinator)
    response = post(client, f"/applications/{application.id}/fire/approve_eligibility", data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/applications/{application.id}")
    assert stored_state(application) == before
    assert log_rows(application) == []
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "changed by someone else" in page


def test_the_same_post_with_the_current_version_goes_through(app):
    application = application_in("submitted")
    coordinator = UserFactory(coordinates=[application.faculty])
    response = post(
        client_for(app, coordinator),
        f"/applications/{application.id}/fire/approve_eligibility",
        {"comment": "", "version": str(application.version)},
    )
    assert response.status_code == 302
    assert stored_state(application)[0] == "eligible"
