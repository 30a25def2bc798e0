"""After selection, over HTTP: nomination (in bulk), the host's answer, departure, return,
the return report, its review and completion."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from irflow.extensions import db
from irflow.models import Application, Notification, ReturnReport, TransitionLog

from .fixtures.applications import current_version, fire, upload
from .fixtures.factories import (
    CallFactory,
    FacultyFactory,
    UserFactory,
    add_approved_learning_agreement,
    application_in,
    log_rows,
    one_commit,
    stored_state,
)
from .fixtures.files import PDF, PNG
from .fixtures.web import client_for, field_error, follow, post, text_of

# --- helpers ------------------------------------------------------------------------------


def nominate(client, applications, versions=None, **extra):
    """POST the nominations form with `applications` ticked, each with its version."""
    versions = versions or {}
    data = {"application": [str(application.id) for application in applications], **extra}
    for application in applications:
        data[f"version-{application.id}"] = str(versions.get(application.id, current_version(application.id)))
    return post(client, "/nominations", data)


def section(page, section_id):
    """The HTML of the page's <section id=...>."""
    start = page.index(f'<section class="mb-5" id="{section_id}"')
    return page[start : page.index("</section>", start)]


def listed_ids(page, section_id):
    return [int(number) for number in re.findall(r'<tr data-application="(\d+)"', section(page, section_id))]


def checked_ids(page):
    return {int(number) for number in re.findall(r'name="application" value="(\d+)"\s+id="nominate-\d+" checked', page)}


def shown_version(page, application):
    return int(re.search(rf'name="version-{application.id}" value="(\d+)"', page).group(1))


def flash_after(client, response):
    return text_of(follow(client, response))


def report_data(application_id, **overrides):
    data = {
        "version": str(current_version(application_id)),
        "activities": "Three courses in data science and a lab project on river hydrology.",
        "results": "All three exams passed; a poster at the student conference.",
        "credits_recognised": "30,5",
        "recommendation": "Apply for the visa two months ahead.",
    }
    data.update(overrides)
    return data


def action_form_html(page, trigger):
    start = page.index(f'id="action-{trigger}"')
    return page[start : page.index("</form>", start)]


def participants(faculty, count, call, host):
    return [
        application_in("confirmed", call=call, hosts=[host], applicant=UserFactory(faculty=faculty))
        for _ in range(count)
    ]


# --- the whole way ------------------------------------------------------------------------


def test_from_confirmed_to_completed(app):
    with one_commit():
        faculty = FacultyFactory()
        call = CallFactory(mobility_type="study")
        host = call.places[0]  # two places
        host.partner.contact_email = "incoming@host.example"
        first, second = participants(faculty, 2, call, host)
        coordinator = UserFactory(coordinates=[faculty])
    staff = client_for(app, coordinator)
    owner = client_for(app, first.applicant)
    detail = f"/applications/{first.id}"

    # The coordinator nominates both at once.
    page = text_of(staff.get("/nominations"))
    assert set(listed_ids(page, "to-nominate")) == {first.id, second.id}
    response = nominate(staff, [first, second])
    assert response.status_code == 302 and response.headers["Location"].endswith("/nominations")
    page = flash_after(staff, response)
    assert "2 participants nominated" in page
    assert stored_state(first)[0] == stored_state(second)[0] == "nominated"
    assert [(row.trigger, row.actor_id) for row in log_rows(first)] == [("nominate", coordinator.id)]
    to_host = db.session.scalars(
        db.select(Notification).where(Notification.recipient_email == "incoming@host.example")
    ).all()
    assert sorted(notice.application_id for notice in to_host) == sorted([first.id, second.id])
    # Both now await the host's answer, with a link to their application pages.
    assert set(listed_ids(page, "awaiting-host")) == {first.id, second.id}
    assert f'href="/applications/{first.id}#documents"' in section(page, "awaiting-host")
    assert listed_ids(page, "to-nominate") == []

    # host_accept needs the acceptance letter, which the coordinator uploads.
    response = fire(staff, first.id, "host_accept")
    assert "Upload the host's acceptance letter first." in flash_after(staff, response)
    assert stored_state(first)[0] == "nominated"
    page = text_of(staff.get(detail))
    assert 'value="host_acceptance"' in page
    assert upload(staff, first.id, "host_acceptance", PDF, "acceptance.pdf").status_code == 302
    response = fire(staff, first.id, "host_accept")
    assert response.status_code == 302
    assert stored_state(first)[0] == "host_accepted"

    # Departure needs the learning agreement approved and signed (tests/test_learning_agreement.py).
    add_approved_learning_agreement(db.session.get(Application, first.id))

    # The owner records the departure; the form has a date input, and the date is required.
    page = text_of(owner.get(detail))
    assert 'type="date"' in action_form_html(page, "depart") and 'name="date"' in action_form_html(page, "depart")
    assert "Give the departure date." in flash_after(owner, fire(owner, first.id, "depart"))
    departed = date.today() - timedelta(days=120)
    fire(owner, first.id, "depart", date=departed.isoformat())
    assert stored_state(first)[0] == "abroad"
    assert db.session.get(Application, first.id).actual_departure == departed

    # A return before the departure is refused with the reason; then the return is recorded.
    page = text_of(owner.get(detail))
    assert 'type="date"' in action_form_html(page, "return_home")
    response = fire(owner, first.id, "return_home", date=(departed - timedelta(days=1)).isoformat())
    assert "The return date cannot be before the departure date." in flash_after(owner, response)
    assert stored_state(first)[0] == "abroad"
    returned = date.today() - timedelta(days=3)
    fire(owner, first.id, "return_home", date=returned.isoformat())
    assert stored_state(first)[0] == "returned"
    assert db.session.get(Application, first.id).actual_return == returned

    # The report: nothing to submit yet.
    report_url = f"{detail}/report"
    page = text_of(owner.get(report_url))
    assert 'id="report-form"' in page and 'id="submit-report"' not in page
    assert re.findall(r'data-item="(\w+)" data-done="(\w+)"', page) == [
        ("report", "no"),
        ("certificate_of_attendance", "no"),
        ("transcript_of_records", "no"),
    ]
    assert f'href="/applications/{first.id}#documents"' in page  # where the documents are uploaded
    version_before = current_version(first.id)
    response = post(owner, report_url, report_data(first.id))
    assert response.status_code == 302 and response.headers["Location"].endswith(report_url)
    assert "Your report has been saved." in flash_after(owner, response)
    report = db.session.scalar(db.select(ReturnReport).where(ReturnReport.application_id == first.id))
    assert report.credits_recognised == Decimal("30.5")
    assert report.recommendation == "Apply for the visa two months ahead."
    assert current_version(first.id) > version_before  # saving the report moves the version

    # The certificate is not enough for a study mobility: the transcript of records too.
    assert upload(owner, first.id, "certificate_of_attendance", PDF, "certificate.pdf").status_code == 302
    page = text_of(owner.get(report_url))
    assert 'data-item="transcript_of_records" data-done="no"' in page
    assert 'id="submit-report"' not in page and 'id="not-yet"' in page
    assert 'id="submit-report"' not in text_of(owner.get(detail))
    assert upload(owner, first.id, "transcript_of_records", PNG, "records.png").status_code == 302
    page = text_of(owner.get(report_url))
    assert 'id="submit-report"' in page and "certificate.pdf" in page and "records.png" in page
    assert f'action="{detail}/fire/submit_report"' in page  # the button posts to the fire route
    assert fire(owner, first.id, "submit_report").status_code == 302
    assert stored_state(first)[0] == "report_submitted"

    # The coordinator reads it, read-only, and returns it: a comment is required.
    page = text_of(staff.get(report_url))
    assert 'id="report-form"' not in page and "river hydrology" in page
    assert 'id="action-return_report"' in page and 'id="action-approve_report"' in page
    assert "river hydrology" in text_of(staff.get(detail))  # on the application page too
    assert "A comment is required." in flash_after(staff, fire(staff, first.id, "return_report"))
    assert stored_state(first)[0] == "report_submitted"
    fire(staff, first.id, "return_report", comment="Name the three courses, please.")
    assert stored_state(first)[0] == "returned"

    # The owner sees why, edits and submits again.
    page = text_of(owner.get(report_url))
    assert "Name the three courses, please." in page.split('id="report-returned"')[1]
    assert "river hydrology" in page  # the saved text is in the form again
    response = post(
        owner,
        report_url,
        report_data(first.id, activities="Hydrology I, GIS and Data Science in Practice; a lab project."),
    )
    assert response.status_code == 302
    fire(owner, first.id, "submit_report")
    assert stored_state(first)[0] == "report_submitted"
    assert "Name the three courses, please." not in text_of(owner.get(report_url))

    # A study mobility completes once its courses are recognised (tests/test_recognition.py).
    response = fire(staff, first.id, "approve_report")
    assert "Record the recognition of the courses" in flash_after(staff, response)
    assert stored_state(first)[0] == "report_submitted"
    recognition = {
        "version": str(current_version(first.id)),
        "rows-0-host_title": "Algorithms",
        "rows-0-host_grade": "B",
        "rows-0-home_grade": "4",
        "rows-0-ects": "30",
    }
    assert post(staff, f"{detail}/recognition", recognition).status_code == 302
    fire(staff, first.id, "approve_report")
    assert stored_state(first)[0] == "completed"
    page = text_of(owner.get(report_url))
    assert 'id="report-form"' not in page and "Hydrology I, GIS" in page
    assert [row.trigger for row in log_rows(first)] == [
        "nominate",
        "host_accept",
        "depart",
        "return_home",
        "submit_report",
        "return_report",
        "submit_report",
        "approve_report",
    ]
    assert stored_state(second)[0] == "nominated"


def test_the_coordinator_records_departure_and_return_with_dates(app):
    application = application_in("host_accepted")
    coordinator = UserFactory(coordinates=[application.faculty])
    staff = client_for(app, coordinator)
    detail = f"/applications/{application.id}"
    assert 'type="date"' in action_form_html(text_of(staff.get(detail)), "depart")
    departed = date.today() - timedelta(days=10)
    fire(staff, application.id, "depart", date=departed.isoformat())
    assert stored_state(application)[0] == "abroad"
    page = text_of(staff.get("/nominations"))
    assert listed_ids(page, "abroad") == [application.id]
    assert 'type="date"' in action_form_html(text_of(staff.get(detail)), "return_home")
    response = fire(staff, application.id, "return_home", date=(date.today() + timedelta(days=3)).isoformat())
    assert "The return date cannot be in the future." in flash_after(staff, response)
    fire(staff, application.id, "return_home", date=date.today().isoformat())
    assert stored_state(application)[0] == "returned"
    assert [(row.trigger, row.actor_id) for row in log_rows(application)] == [
        ("depart", coordinator.id),
        ("return_home", coordinator.id),
    ]
    page = text_of(staff.get("/nominations"))
    assert listed_ids(page, "returned") == [application.id]


def test_host_reject_with_a_comment_frees_the_place_for_the_waiting_list(app):
    with one_commit():
        call = CallFactory(places=(1, 1))
        host = call.places[0]
        nominated = application_in("nominated", call=call, hosts=[host])
        waiting = application_in("waitlisted", call=call, hosts=[host], rank=1)
        coordinator = UserFactory(coordinates=[nominated.faculty])
    staff = client_for(app, coordinator)
    assert listed_ids(text_of(staff.get("/nominations")), "awaiting-host") == [nominated.id]

    assert "A comment is required." in flash_after(staff, fire(staff, nominated.id, "host_reject"))
    assert stored_state(nominated)[0] == "nominated"
    fire(staff, nominated.id, "host_reject", comment="The host has no supervisor for this topic.")
    assert stored_state(nominated)[0] == "host_rejected"
    assert log_rows(nominated)[-1].comment == "The host has no supervisor for this topic."
    waiting = db.session.get(Application, waiting.id)
    assert waiting.state == "selected" and waiting.allocated_place_id == host.id
    assert [(row.trigger, row.actor_id) for row in log_rows(waiting)] == [("select", None)]


# --- bulk nomination refused --------------------------------------------------------------


def test_bulk_nomination_with_a_stale_row_nominates_nobody(app):
    with one_commit():
        faculty = FacultyFactory()
        call = CallFactory(places=(3, 1, 1))
        host = call.places[0]
        host.partner.contact_email = "incoming@host.example"
        kept, withdrawn, touched = participants(faculty, 3, call, host)
        coordinator = UserFactory(coordinates=[faculty])
    staff = client_for(app, coordinator)
    page = text_of(staff.get("/nominations"))
    versions = {application.id: shown_version(page, application) for application in (kept, withdrawn, touched)}

    # Meanwhile one participant withdraws and another's application changes.
    fire(client_for(app, withdrawn.applicant), withdrawn.id, "withdraw")
    touched = db.session.get(Application, touched.id)
    touched.planned_end = touched.planned_end + timedelta(days=7)
    db.session.commit()

    response = nominate(staff, [kept, withdrawn, touched], versions=versions)
    assert response.status_code == 409
    page = text_of(response)
    refusals = page[page.index('id="refusals"') : page.index("</div>", page.index('id="refusals"'))]
    assert "Nobody was nominated" in refusals
    assert f"Application {withdrawn.id}" in refusals and "it is now “Withdrawn”" in refusals
    assert f"Application {touched.id}" in refusals and "changed by someone else" in refusals
    assert f"Application {kept.id}" not in refusals
    assert checked_ids(page) == {kept.id, touched.id}  # the choice is kept (the withdrawn one is gone)
    assert [stored_state(a)[0] for a in (kept, withdrawn, touched)] == ["confirmed", "withdrawn", "confirmed"]
    assert db.session.scalar(db.select(db.func.count(TransitionLog.id)).where(TransitionLog.trigger == "nominate")) == 0
    assert (
        db.session.scalar(
            db.select(db.func.count(Notification.id)).where(Notification.recipient_email == "incoming@host.example")
        )
        == 0
    )

    # Having looked, the coordinator nominates again from the page as shown now.
    response = nominate(staff, [kept, touched], versions={a.id: shown_version(page, a) for a in (kept, touched)})
    assert response.status_code == 302
    assert [stored_state(a)[0] for a in (kept, touched)] == ["nominated", "nominated"]


def test_nominating_with_nothing_ticked_is_refused(app):
    application = application_in("confirmed")
    staff = client_for(app, UserFactory(coordinates=[application.faculty]))
    response = post(staff, "/nominations", {})
    assert response.status_code == 400
    assert "Choose at least one participant to nominate." in text_of(response)
    assert stored_state(application)[0] == "confirmed"


def test_the_nominations_page_filters_by_call(app):
    with one_commit():
        faculty = FacultyFactory()
        one, other = CallFactory(), CallFactory()
        in_one = application_in("confirmed", call=one, applicant=UserFactory(faculty=faculty))
        in_other = application_in("confirmed", call=other, applicant=UserFactory(faculty=faculty))
        coordinator = UserFactory(coordinates=[faculty])
    staff = client_for(app, coordinator)
    assert set(listed_ids(text_of(staff.get("/nominations")), "to-nominate")) == {in_one.id, in_other.id}
    page = text_of(staff.get(f"/nominations?call={one.id}"))
    assert listed_ids(page, "to-nominate") == [in_one.id]
    assert f'action="/nominations?call={one.id}"' in page
    # The filter is kept after nominating.
    response = post(
        staff,
        f"/nominations?call={one.id}",
        {"application": [str(in_one.id)], f"version-{in_one.id}": str(current_version(in_one.id))},
    )
    assert response.headers["Location"].endswith(f"/nominations?call={one.id}")
    # An unknown call id is ignored rather than failing the page.
    assert staff.get("/nominations?call=999999").status_code == 200


# --- the report form ------------------------------------------------------------------------


@pytest.fixture
def returned(app):
    """A participant back from a study mobility, without a report or documents yet."""
    application = application_in("returned", call=CallFactory(mobility_type="study"))
    db.session.delete(application.report)
    for document in list(application.documents):
        if document.kind == "certificate_of_attendance":
            db.session.delete(document)
    db.session.commit()
    return application, client_for(app, application.applicant)


@pytest.mark.parametrize(
    ("credits", "message"),
    [
        ("-1", "Enter a number of credits of 0 or more."),
        ("abc", "Not a valid decimal value."),
        ("2.25", "Give the credits with at most one decimal place."),
        ("1000000", "That is more credits than any mobility gives."),
    ],
)
def test_report_errors_are_shown_next_to_the_field_and_nothing_is_saved(returned, credits, message):
    application, owner = returned
    version = current_version(application.id)
    response = post(
        owner, f"/applications/{application.id}/report", report_data(application.id, credits_recognised=credits)
    )
    assert response.status_code == 400
    page = text_of(response)
    assert field_error(page, "credits_recognised") == message
    assert "river hydrology" in page and f'value="{credits}"' in page  # typed values kept
    assert db.session.get(Application, application.id).report is None
    assert current_version(application.id) == version


def test_a_report_saved_from_a_stale_form_is_refused_and_the_typed_text_kept(returned):
    application, owner = returned
    url = f"/applications/{application.id}/report"
    opened = report_data(application.id)
    # The same report saved in another window first.
    assert post(owner, url, report_data(application.id, results="Saved elsewhere.")).status_code == 302
    response = post(owner, url, {**opened, "results": "Typed here, not saved."})
    assert response.status_code == 409
    page = text_of(response)
    assert "changed by someone else" in page.split('id="conflict"')[1]
    assert "Typed here, not saved." in page
    assert db.session.get(Application, application.id).report.results == "Saved elsewhere."
    # The form now carries the current version: saving again replaces the saved text.
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    assert post(owner, url, {**opened, "version": version, "results": "Typed here."}).status_code == 302
    assert db.session.get(Application, application.id).report.results == "Typed here."


def test_a_report_cannot_be_changed_once_submitted(app):
    application = application_in("report_submitted")
    owner = client_for(app, application.applicant)
    url = f"/applications/{application.id}/report"
    page = text_of(owner.get(url))
    assert 'id="report-form"' not in page and "Courses and a lab project." in page
    response = post(owner, url, report_data(application.id, activities="Changed under review."))
    assert response.status_code == 409
    assert "Changed under review." in text_of(response)  # kept for the owner to copy
    assert db.session.get(Application, application.id).report.activities == "Courses and a lab project."


def test_a_teaching_mobility_needs_no_transcript_of_records(app):
    application = application_in("returned", call=CallFactory(mobility_type="teaching"))
    owner = client_for(app, application.applicant)
    page = text_of(owner.get(f"/applications/{application.id}/report"))
    assert 'data-item="transcript_of_records" data-done="no"' in page
    assert "(if you have one)" in page and 'id="submit-report"' in page
    assert 'id="submit-report"' in text_of(owner.get(f"/applications/{application.id}"))
    fire(owner, application.id, "submit_report")
    assert stored_state(application)[0] == "report_submitted"


def test_the_report_is_there_while_abroad_but_not_before(app):
    abroad = application_in("abroad")
    owner = client_for(app, abroad.applicant)
    page = text_of(owner.get(f"/applications/{abroad.id}/report"))
    assert "You can write the report once your return has been recorded." in page
    assert 'id="report-form"' not in page
    assert post(owner, f"/applications/{abroad.id}/report", report_data(abroad.id)).status_code == 409
    assert db.session.get(Application, abroad.id).report is None
    confirmed = application_in("confirmed")
    assert client_for(app, confirmed.applicant).get(f"/applications/{confirmed.id}/report").status_code == 404


def test_a_study_report_cannot_be_submitted_without_the_transcript_even_by_a_forged_post(app):
    application = application_in("returned", call=CallFactory(mobility_type="study"))
    for document in list(application.documents):
        if document.kind == "transcript_of_records":
            db.session.delete(document)
    db.session.commit()
    owner = client_for(app, application.applicant)
    response = fire(owner, application.id, "submit_report")
    assert "Upload the transcript of records." in flash_after(owner, response)
    assert stored_state(application)[0] == "returned"


def test_the_coordinator_may_add_the_transcript_of_records_sent_by_the_host(app):
    application = application_in("report_submitted")
    coordinator = UserFactory(coordinates=[application.faculty])
    staff = client_for(app, coordinator)
    owner = client_for(app, application.applicant)
    assert upload(owner, application.id, "transcript_of_records").status_code == 403
    assert upload(staff, application.id, "transcript_of_records", PDF, "records.pdf").status_code == 302
    page = text_of(staff.get(f"/applications/{application.id}/report"))
    assert 'data-item="transcript_of_records" data-done="yes"' in page and "records.pdf" in page
