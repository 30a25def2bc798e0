"""Recognition on return, course by course, over HTTP: a coordinator of the faculty records
it from the host's transcript (starting from the learning agreement); its sum is the
report's credits recognised; a study mobility completes only once it is recorded."""

import io
import json
import re
import zipfile
from decimal import Decimal

from irflow.extensions import db
from irflow.models import Application, Recognition

from .fixtures.applications import current_version, fire
from .fixtures.factories import (
    CallFactory,
    UserFactory,
    add_approved_learning_agreement,
    application_in,
    stored_state,
)
from .fixtures.web import client_for, field_error, follow, post, text_of


def without_recognition(state="report_submitted", **overrides):
    """A study application in `state` with an approved learning agreement and no recognition."""
    application = application_in(state, **overrides)
    application.recognitions = []
    add_approved_learning_agreement(application)
    db.session.commit()
    return application


def coordinator_of(application):
    return UserFactory(coordinates=[application.faculty])


def rows_data(application_id, rows, version=None):
    data = {"version": str(current_version(application_id) if version is None else version)}
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"rows-{index}-{name}"] = value
    return data


TWO_COURSES = [
    {"host_code": "CS101", "host_title": "Algorithms", "host_grade": "B", "home_grade": "4", "ects": "20",
     "home_course": "Algorithms and data structures"},
    {"host_title": "Hydrology", "host_grade": "1,7", "home_grade": "5", "ects": "10,5"},
]  # fmt: skip


def recognitions_of(application_id):
    db.session.expire_all()
    return db.session.get(Application, application_id).recognitions


def test_the_rows_start_from_the_approved_learning_agreement(app):
    application = without_recognition()
    page = text_of(client_for(app, coordinator_of(application)).get(f"/applications/{application.id}/recognition"))
    assert 'id="recognition-form"' in page
    assert 'name="rows-0-host_code" type="text" value="CS101"' in page
    assert 'name="rows-0-host_title" type="text" value="Algorithms"' in page
    assert 'name="rows-0-home_course" type="text" value="Algorithms and data structures"' in page
    assert re.search(r'name="rows-0-ects" type="text" value="30(\.0)?"', page)
    assert 'name="rows-0-host_grade" type="text" value=""' in page  # the grades come from the transcript
    assert 'id="rows-1-host_title"' in page  # room for more courses


def test_saved_rows_make_the_credits_recognised_shown_to_the_participant(app):
    application = without_recognition()
    coordinator = coordinator_of(application)
    staff = client_for(app, coordinator)
    url = f"/applications/{application.id}/recognition"
    response = post(staff, url, rows_data(application.id, TWO_COURSES))
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    assert "The recognition has been saved." in text_of(follow(staff, response))
    rows = recognitions_of(application.id)
    recorded = [
        (row.host_code, row.host_title, row.host_grade, row.home_grade, row.ects, row.home_course) for row in rows
    ]
    assert recorded == [
        ("CS101", "Algorithms", "B", "4", Decimal("20.0"), "Algorithms and data structures"),
        (None, "Hydrology", "1,7", "5", Decimal("10.5"), None),
    ]  # fmt: skip
    assert all(row.decided_by_id == coordinator.id and row.decided_at is not None for row in rows)
    assert db.session.get(Application, application.id).report.credits_recognised == Decimal("30.5")

    owner = client_for(app, application.applicant)
    report_page = text_of(owner.get(f"/applications/{application.id}/report"))
    assert 'id="recognised-ects">30.5<' in report_page and "Hydrology" in report_page
    assert re.search(r"Credits recognised</dt>\s*<dd[^>]*>30.5<", report_page)
    detail = text_of(owner.get(f"/applications/{application.id}"))
    assert 'id="recognition-summary"' in detail and 'id="recognised-ects">30.5<' in detail

    # The participant's own data download holds the rows and the sum.
    archive = zipfile.ZipFile(io.BytesIO(post(owner, "/account/data").get_data()))
    (exported,) = [row for row in json.loads(archive.read("data.json"))["applications"] if row["id"] == application.id]
    assert exported["return_report"]["credits_recognised"] in ("30.5", 30.5)
    assert [row["host_title"] for row in exported["recognition"]] == ["Algorithms", "Hydrology"]

    # Emptying a row removes it; the sum follows.
    changed = [TWO_COURSES[0], dict.fromkeys(TWO_COURSES[0], "")]
    assert post(staff, url, rows_data(application.id, changed)).status_code == 302
    assert [row.host_title for row in recognitions_of(application.id)] == ["Algorithms"]
    assert db.session.get(Application, application.id).report.credits_recognised == Decimal("20.0")


def test_a_row_saved_again_unchanged_keeps_who_decided_it_and_when(app):
    application = without_recognition()
    first, second = coordinator_of(application), coordinator_of(application)
    url = f"/applications/{application.id}/recognition"
    assert post(client_for(app, first), url, rows_data(application.id, TWO_COURSES)).status_code == 302
    algorithms_before, _ = recognitions_of(application.id)
    decided_before = algorithms_before.decided_at
    regraded = [TWO_COURSES[0], TWO_COURSES[1] | {"home_grade": "4"}]

    assert post(client_for(app, second), url, rows_data(application.id, regraded)).status_code == 302

    algorithms, hydrology = recognitions_of(application.id)
    assert (algorithms.decided_by_id, algorithms.decided_at) == (first.id, decided_before)
    assert hydrology.home_grade == "4" and hydrology.decided_by_id == second.id
    assert hydrology.decided_at >= decided_before


def test_a_study_mobility_completes_only_once_the_recognition_is_recorded(app):
    application = without_recognition()
    staff = client_for(app, coordinator_of(application))
    response = fire(staff, application.id, "approve_report")
    assert "Record the recognition of the courses from the transcript of records" in text_of(follow(staff, response))
    assert stored_state(application)[0] == "report_submitted"
    post(staff, f"/applications/{application.id}/recognition", rows_data(application.id, TWO_COURSES))
    assert fire(staff, application.id, "approve_report").status_code == 302
    assert stored_state(application)[0] == "completed"
    # Completed: kept, read-only.
    page = text_of(staff.get(f"/applications/{application.id}/recognition"))
    assert 'id="recognition-form"' not in page and "Hydrology" in page
    response = post(staff, f"/applications/{application.id}/recognition", rows_data(application.id, TWO_COURSES))
    assert response.status_code == 403


def test_a_staff_mobility_completes_without_recognition(app):
    application = application_in("report_submitted", call=CallFactory(mobility_type="teaching"))
    staff = client_for(app, coordinator_of(application))
    assert staff.get(f"/applications/{application.id}/recognition").status_code == 404
    assert 'id="recognition-summary"' not in text_of(staff.get(f"/applications/{application.id}"))
    assert fire(staff, application.id, "approve_report").status_code == 302
    assert stored_state(application)[0] == "completed"


def test_invalid_rows_are_refused_with_the_message_next_to_the_field(app):
    application = without_recognition()
    staff = client_for(app, coordinator_of(application))
    bad = [
        {"host_title": "Algorithms", "host_grade": "", "home_grade": "4", "ects": "-1"},
        {"host_title": "", "host_grade": "B", "home_grade": "", "ects": "abc"},
        {"host_title": "GIS", "host_grade": "B", "home_grade": "4", "ects": "2,25"},
    ]
    response = post(staff, f"/applications/{application.id}/recognition", rows_data(application.id, bad))
    assert response.status_code == 400
    page = text_of(response)
    assert field_error(page, "rows-0-host_grade") == "Give the grade obtained at the host."
    assert field_error(page, "rows-0-ects") == "Give the ECTS recognised between 0 and 60."
    assert field_error(page, "rows-1-host_title") == "Give the course's title at the host."
    assert field_error(page, "rows-1-home_grade") == "Give the converted home grade."
    assert field_error(page, "rows-1-ects") is not None
    assert field_error(page, "rows-2-ects") == "Give the credits with at most one decimal place."
    assert 'value="abc"' in page  # what was typed is kept
    assert recognitions_of(application.id) == []


def test_a_stale_form_saves_nothing(app):
    application = without_recognition()
    staff = client_for(app, coordinator_of(application))
    opened = current_version(application.id)
    # Another coordinator saves meanwhile.
    other = client_for(app, coordinator_of(application))
    response = post(other, f"/applications/{application.id}/recognition", rows_data(application.id, TWO_COURSES[:1]))
    assert response.status_code == 302
    response = post(
        staff, f"/applications/{application.id}/recognition", rows_data(application.id, TWO_COURSES, opened)
    )
    assert response.status_code == 409
    page = text_of(response)
    assert "changed by someone else" in page and 'value="Hydrology"' in page
    assert [row.host_title for row in recognitions_of(application.id)] == ["Algorithms"]


def test_who_sees_and_who_records_the_recognition(app):
    examiner = UserFactory(roles=["examiner"])
    application = application_in("report_submitted", examiner=examiner)
    application.call.examiners.append(examiner)
    db.session.commit()
    url = f"/applications/{application.id}/recognition"
    data = rows_data(application.id, TWO_COURSES)

    owner = client_for(app, application.applicant)
    page = text_of(owner.get(url))
    assert "Algorithms" in page and 'id="recognition-form"' not in page
    assert 'id="recognition-summary"' in text_of(owner.get(f"/applications/{application.id}"))
    assert post(owner, url, data).status_code == 403

    for outsider in (examiner, UserFactory(coordinates=[UserFactory().faculty])):
        browser = client_for(app, outsider)
        assert browser.get(url).status_code == 404
        assert post(browser, url, data).status_code == 404
        assert "Algorithms and data structures" not in text_of(browser.get(f"/applications/{application.id}"))

    head = client_for(app, UserFactory(roles=["head"]))
    assert 'id="recognition-form"' in text_of(head.get(url))
    assert post(head, url, data).status_code == 302
    assert len(recognitions_of(application.id)) == 2
    assert recognitions_of(application.id)[0].decided_by.has_role("head")


def test_the_participant_cannot_overwrite_recognised_credits_in_the_report(app):
    application = application_in("report_submitted")  # recognised: 30 ECTS
    staff = client_for(app, coordinator_of(application))
    fire(staff, application.id, "return_report", comment="Add the lab project.")
    assert stored_state(application)[0] == "returned"
    owner = client_for(app, application.applicant)
    url = f"/applications/{application.id}/report"
    page = text_of(owner.get(url))
    assert 'id="credits-from-recognition"' in page and 'name="credits_recognised"' not in page
    data = {"version": str(current_version(application.id)), "activities": "Courses and a lab project.",
            "results": "Passed.", "credits_recognised": "5"}  # fmt: skip
    assert post(owner, url, data).status_code == 302
    assert db.session.get(Application, application.id).report.credits_recognised == Decimal(30)
    # Recorded while the report is back with the participant too.
    response = post(staff, f"/applications/{application.id}/recognition", rows_data(application.id, TWO_COURSES))
    assert response.status_code == 302
    assert db.session.get(Application, application.id).report.credits_recognised == Decimal("30.5")
    assert db.session.scalar(db.select(db.func.count()).select_from(Recognition)) == 2
