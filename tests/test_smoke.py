from irflow.workflow import fire

from .factories import UserFactory, application_in


def test_owner_submits_a_complete_draft():
    application = application_in("draft")
    fire(application, "submit", application.applicant)
    assert application.state == "submitted"
