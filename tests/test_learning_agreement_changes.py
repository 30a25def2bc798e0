"""Changes to the learning agreement during the mobility, over HTTP: proposed by the
participant abroad (courses removed and added, each with its reason), returned and approved by
the faculty's coordinator, applied to the final version that the recognition starts from;
refused before departure, without reasons, below the minimum ECTS, while another is open, by
the wrong people and from a stale form."""

import re

import pytest
import sqlalchemy as sa

from irflow.extensions import db
from irflow.models import Application, LearningAgreement, LearningAgreementChange, LearningAgreementCourse

from .fixtures.factories import UserFactory, add_approved_learning_agreement, application_in, notifications_for
from .fixtures.web import client_for, follow, post, text_of


def with_agreement(state="abroad"):
    application = application_in(state)
    if not db.session.scalar(sa.select(LearningAgreement).where(LearningAgreement.application_id == application.id)):
        add_approved_learning_agreement(application)
    db.session.commit()
    return application


@pytest.fixture
def abroad(app):
    """A study mobility abroad with its approved agreement: CS101 Algorithms, 30 ECTS."""
    application = with_agreement()
    owner = client_for(app, application.applicant)
    coordinator = client_for(app, UserFactory(coordinates=[application.faculty]))
    return application, owner, coordinator


def course_ids(application):
    db.session.expire_all()
    agreement = db.session.scalar(
        sa.select(LearningAgreement).where(LearningAgreement.application_id == application.id)
    )
    return {course.side: course.id for course in agreement.courses}


def shown_version(page, form_id="change-decision"):
    start = page.find(f'id="{form_id}"') if form_id else 0
    return re.search(r'name="version" (?:type="hidden" )?value="(\d*)"', page[start:]).group(1)


def change_url(application):
    return f"/applications/{application.id}/learning-agreement/change"


def propose(client, application, *, removed=(), host=(), home=(), version=None):
    """`removed`: (course id, reason, text); `host`, `home`: (code, title, ects, reason, text)."""
    if version is None:
        version = shown_version(text_of(client.get(change_url(application))), form_id=None)
    data = {"version": version}
    for index, (course_id, reason, text) in enumerate(removed):
        data.update(
            {
                f"removed-{index}-course_id": str(course_id),
                f"removed-{index}-remove": "y",
                f"removed-{index}-reason": reason,
                f"removed-{index}-reason_text": text,
            }
        )
    for side, rows in (("host", host), ("home", home)):
        for index, (code, title, ects, reason, text) in enumerate(rows):
            data.update(
                {
                    f"{side}-{index}-code": code,
                    f"{side}-{index}-title": title,
                    f"{side}-{index}-ects": ects,
                    f"{side}-{index}-semester": "Summer 2027",
                    f"{side}-{index}-reason": reason,
                    f"{side}-{index}-reason_text": text,
                }
            )
    return post(client, change_url(application), data)


def decide(client, application, decision, comment="", version=None):
    page = text_of(client.get(f"/applications/{application.id}/learning-agreement"))
    if version is None:
        version = shown_version(page)
    return post(
        client,
        f"/applications/{application.id}/learning-agreement/change/decision",
        {"version": version, "decision": decision, "comment": comment},
    )


def changes_of(application):
    db.session.expire_all()
    return db.session.scalars(
        sa.select(LearningAgreementChange)
        .join(LearningAgreement)
        .where(LearningAgreement.application_id == application.id)
        .order_by(LearningAgreementChange.id)
    ).all()


def swap_algorithms_for_networks(client, application):
    ids = course_ids(application)
    return propose(
        client,
        application,
        removed=[(ids["host"], "cancelled", ""), (ids["home"], "other", "Replaced by Networks")],
        host=[("CS310", "Networks", "25", "timetable", "")],
        home=[("", "Computer networks", "25", "other", "Matches Networks")],
    )


def test_proposed_returned_resubmitted_approved_then_the_final_version(abroad):
    application, owner, coordinator = abroad
    detail = f"/applications/{application.id}/learning-agreement"
    assert 'id="propose-change"' in text_of(owner.get(detail))

    answer = swap_algorithms_for_networks(owner, application)
    assert answer.status_code == 302
    assert [change.state for change in changes_of(application)] == ["submitted"]
    page = text_of(follow(owner, answer))
    assert "Course cancelled by the host" in page and "Replaced by Networks" in page
    assert 'id="change-decision"' not in page  # the participant does not decide

    # Returning needs a comment.
    assert "Say what should be changed." in text_of(follow(coordinator, decide(coordinator, application, "return")))
    assert decide(coordinator, application, "return", "Networks is 6 ECTS at the host?").status_code == 302
    assert changes_of(application)[0].state == "returned"
    form = text_of(owner.get(change_url(application)))
    assert "Networks is 6 ECTS at the host?" in form and 'value="Networks"' in form

    # Resubmitted: the same change, not a second one.
    assert swap_algorithms_for_networks(owner, application).status_code == 302
    assert [change.state for change in changes_of(application)] == ["submitted"]
    assert decide(coordinator, application, "approve").status_code == 302
    assert changes_of(application)[0].state == "approved"

    db.session.expire_all()
    courses = db.session.scalars(
        sa.select(LearningAgreementCourse)
        .join(LearningAgreement)
        .where(LearningAgreement.application_id == application.id)
        .order_by(LearningAgreementCourse.id)
    ).all()
    # Nothing deleted: the removed rows stay, marked by the change.
    assert [(c.title, c.removed_by_change_id is not None, c.added_by_change_id is not None) for c in courses] == [
        ("Algorithms", True, False),
        ("Algorithms and data structures", True, False),
        ("Networks", False, True),
        ("Computer networks", False, True),
    ]
    page = text_of(owner.get(detail))
    before, final = page.split('id="final-version"')
    assert "Algorithms" in before.split('id="before-host"')[1] and 'data-total="before-host">30' in before
    final_host = final.split('id="courses-host"')[1].split("</table>")[0]
    assert "Networks" in final_host and "Algorithms" not in final_host
    assert 'data-total="host">25' in final
    assert "Computer networks" in final.split('id="courses-home"')[1]
    # A new change may be proposed again.
    assert 'id="propose-change"' in page


def test_the_final_version_below_the_minimum_is_refused(abroad):
    application, owner, _coordinator = abroad
    ids = course_ids(application)
    answer = propose(
        owner, application, removed=[(ids["host"], "cancelled", "")], host=[("", "Hydrology", "10", "language", "")]
    )
    assert answer.status_code == 409
    assert "After the change the courses at the host add up to 10.0 ECTS; at least 20 are needed" in text_of(answer)
    assert changes_of(application) == []


def test_reasons_are_required(abroad):
    application, owner, _coordinator = abroad
    ids = course_ids(application)
    answer = propose(owner, application, removed=[(ids["home"], "", "")], host=[("", "Hydrology", "10", "", "")])
    assert answer.status_code == 400
    page = text_of(answer)
    for field_id in ("removed-0-reason", "host-0-reason"):
        assert re.search(f'id="{field_id}-error-1"[^>]*>\\s*Give the reason.', page)
    answer = propose(owner, application, host=[("", "Hydrology", "10", "other", "")])
    assert answer.status_code == 400 and "Say what the reason is." in text_of(answer)
    assert changes_of(application) == []


def test_a_second_open_change_is_refused(abroad):
    application, owner, _coordinator = abroad
    assert propose(owner, application, host=[("", "Hydrology", "5", "other", "Extra")]).status_code == 302
    assert owner.get(change_url(application)).status_code == 404
    answer = propose(owner, application, host=[("", "Geology", "5", "other", "Extra")], version="")
    assert answer.status_code == 409 and "The learning agreement cannot be changed now." in text_of(answer)
    assert len(changes_of(application)) == 1


def test_no_change_before_departure(app):
    application = with_agreement("host_accepted")
    owner = client_for(app, application.applicant)
    assert 'id="propose-change"' not in text_of(owner.get(f"/applications/{application.id}/learning-agreement"))
    assert owner.get(change_url(application)).status_code == 404
    answer = propose(owner, application, host=[("", "Hydrology", "5", "other", "Extra")], version="")
    assert answer.status_code == 409 and "The learning agreement cannot be changed now." in text_of(answer)
    assert changes_of(application) == []


def test_who_may_decide(app, abroad):
    application, owner, _coordinator = abroad
    examiner = UserFactory(roles=["examiner"])
    application.call.examiners.append(examiner)
    db.session.commit()
    assert propose(owner, application, host=[("", "Hydrology", "5", "other", "Extra")]).status_code == 302
    version = str(changes_of(application)[0].version)
    url = f"/applications/{application.id}/learning-agreement/change/decision"
    data = {"version": version, "decision": "approve"}

    for outsider in (examiner, UserFactory(coordinates=[UserFactory().faculty])):
        browser = client_for(app, outsider)
        assert browser.get(f"/applications/{application.id}/learning-agreement").status_code == 404
        assert browser.get(change_url(application)).status_code == 404
        assert post(browser, url, data).status_code == 404
    refused = text_of(follow(owner, post(owner, url, data)))
    assert "The change cannot be decided on now." in refused
    assert changes_of(application)[0].state == "submitted"

    head = client_for(app, UserFactory(roles=["head"]))
    assert post(head, url, data).status_code == 302
    assert changes_of(application)[0].state == "approved"


def test_a_stale_form_is_refused(abroad):
    application, owner, coordinator = abroad
    assert propose(owner, application, host=[("", "Hydrology", "5", "other", "Extra")]).status_code == 302
    stale = shown_version(text_of(coordinator.get(f"/applications/{application.id}/learning-agreement")))
    assert decide(coordinator, application, "return", "Which semester?").status_code == 302
    # Resubmitted from a form opened before it was returned.
    answer = propose(owner, application, host=[("", "Hydrology", "5", "other", "Extra")], version=stale)
    assert answer.status_code == 409 and "changed by someone else" in text_of(answer)
    assert propose(owner, application, host=[("", "Hydrology", "5", "other", "Extra")]).status_code == 302
    refused = text_of(follow(coordinator, decide(coordinator, application, "approve", version=stale)))
    assert "changed by someone else" in refused
    assert changes_of(application)[0].state == "submitted"


def test_the_recognition_starts_from_the_final_version(abroad):
    application, owner, coordinator = abroad
    assert swap_algorithms_for_networks(owner, application).status_code == 302
    assert decide(coordinator, application, "approve").status_code == 302
    # Back home with the report submitted, the recognition not recorded yet.
    # (Set directly: the return and its report are not what is tested here.)
    db.session.execute(sa.update(Application).where(Application.id == application.id).values(state="report_submitted"))
    db.session.commit()
    page = text_of(coordinator.get(f"/applications/{application.id}/recognition"))
    assert 'name="rows-0-host_title" type="text" value="Networks"' in page
    assert 'name="rows-0-home_course" type="text" value="Computer networks"' in page
    assert 'value="Algorithms"' not in page


def test_the_database_keeps_one_open_change_per_agreement(abroad):
    application, _owner, _coordinator = abroad
    agreement = db.session.scalar(
        sa.select(LearningAgreement).where(LearningAgreement.application_id == application.id)
    )
    db.session.add_all(
        [LearningAgreementChange(agreement=agreement, state="approved"), LearningAgreementChange(agreement=agreement)]
    )
    db.session.flush()
    db.session.add(LearningAgreementChange(agreement=agreement, state="returned"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_coordinators_hear_of_a_proposed_change_and_the_participant_of_the_decision(abroad):
    application, owner, coordinator = abroad
    swap_algorithms_for_networks(owner, application)
    [to_coordinator] = notifications_for(application)
    assert to_coordinator.recipient_email != application.applicant.email
    assert "change to the learning agreement" in to_coordinator.subject

    decide(coordinator, application, "return", comment="Networks clashes with your lab.")
    returned = notifications_for(application)[-1]
    assert returned.recipient_email == application.applicant.email
    assert "Networks clashes with your lab." in returned.body
