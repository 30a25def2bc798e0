"""What a host is told about a nominated participant: the nomination mail, the per-host
nomination list (CSV and XLSX), and the warning on the nominations page when the
participant data are not given yet."""

import csv
import io
import re
from datetime import date
from decimal import Decimal

import openpyxl

from irflow.extensions import db
from irflow.models import Notification, ParticipantData, SecurityEvent
from irflow.services.spreadsheets import BOM

from .fixtures.applications import current_version
from .fixtures.factories import CallFactory, FacultyFactory, UserFactory, application_in, one_commit
from .fixtures.web import client_for, post, text_of

HOST_ADDRESS = "incoming@host.example"
HEADER = [
    "No",
    "Full name (Latin)",
    "Date of birth",
    "Gender",
    "Nationality",
    "Study level",
    "EQF level",
    "ISCED-F code",
    "Field of education",
    "E-mail",
    "Host institution",
    "Call",
    "Mobility type",
    "Planned start",
    "Planned end",
    "Months",
    "Sending coordinator",
    "Coordinator's e-mail",
    "Coordinator's phone",
    "State",
]


def add_participant_data(application, **fields):
    values = {
        "birth_date": date(2002, 3, 14),
        "gender": "female",
        "nationality": "TJ",
        "isced_code": "0613",
        "study_cycle": "master",
        # Sensitive: must never reach a host.
        "fewer_opportunities": True,
        "special_needs": True,
        "previous_mobility_months": Decimal(0),
    }
    values.update(fields)
    db.session.add(ParticipantData(application=application, **values))


def confirmed_world(with_data=True, latin_names=("RAHIMOVA DILNOZA",)):
    """A study call whose first host has a contact address, confirmed participants of one
    faculty (with participant data unless told otherwise) and that faculty's coordinator."""
    with one_commit():
        faculty = FacultyFactory()
        call = CallFactory(mobility_type="study")
        place = call.places[0]
        place.partner.contact_email = HOST_ADDRESS
        applications = []
        for latin_name in latin_names:
            application = application_in(
                "confirmed",
                call=call,
                hosts=[place],
                applicant=UserFactory(faculty=faculty, full_name_latin=latin_name),
                planned_start=date(2027, 2, 1),
                planned_end=date(2027, 6, 30),
            )
            if with_data:
                add_participant_data(application)
            applications.append(application)
        coordinator = UserFactory(
            coordinates=[faculty],
            full_name_latin="KARIMOV FARRUKH",
            email="coordinator@khgu.example",
            phone="+992 92 111 22 33",
        )
    return call, place, applications, coordinator


def nominate(client, applications):
    data = {"application": [str(application.id) for application in applications]}
    for application in applications:
        data[f"version-{application.id}"] = str(current_version(application.id))
    response = post(client, "/nominations", data)
    assert response.status_code == 302, response.status_code
    return response


def host_mail(application):
    return db.session.scalars(
        db.select(Notification).where(
            Notification.recipient_email == HOST_ADDRESS, Notification.application_id == application.id
        )
    ).one()


def nominated_world(app, latin_names=("RAHIMOVA DILNOZA",)):
    call, place, applications, coordinator = confirmed_world(latin_names=latin_names)
    nominate(client_for(app, coordinator), applications)
    return call, place, applications, coordinator


def export_urls(call, place):
    base = f"/calls/{call.id}/hosts/{place.partner_id}/nominations"
    return f"{base}.csv", f"{base}.xlsx"


def read_csv(response):
    assert response.status_code == 200, response.status
    assert response.mimetype == "text/csv"
    data = response.get_data()
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[len(BOM) :].decode("utf-8"), newline="")))


def read_xlsx(response):
    assert response.status_code == 200, response.status
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()], sheet


# --- the mail -----------------------------------------------------------------------------


def test_the_nomination_mail_carries_the_host_data_and_not_the_sensitive_flags(app):
    _call, _place, [application], coordinator = nominated_world(app)
    mail = host_mail(application)
    assert mail.subject == "Nomination: RAHIMOVA DILNOZA"
    body = mail.body
    for line in (
        "Full name (as in the passport): RAHIMOVA DILNOZA",
        "Date of birth: 2002-03-14",
        "Gender: Female",
        "Nationality: Tajikistan",
        "Study level (EQF): Master or equivalent second cycle (EQF level 7)",
        "Field of education (ISCED-F): 0613 Software and applications development and analysis",
        "Mobility type: Study",
        "Planned start: 2027-02-01",
        "Planned end: 2027-06-30",
        f"Months of the place: {application.allocated_place.months}",
        f"E-mail: {application.applicant.email}",
        "Sending coordinator: KARIMOV FARRUKH, coordinator@khgu.example, +992 92 111 22 33",
    ):
        assert line in body, line
    lowered = body.lower()
    assert "fewer opportunities" not in lowered and "special needs" not in lowered
    assert "true" not in lowered


def test_missing_data_say_not_given_yet(app):
    _call, _place, [application], coordinator = confirmed_world(with_data=False)
    with one_commit():
        application.planned_end = None
    nominate(client_for(app, coordinator), [application])
    body = host_mail(application).body
    for label in (
        "Date of birth",
        "Gender",
        "Nationality",
        "Study level (EQF)",
        "Field of education (ISCED-F)",
        "Planned end",
    ):
        assert f"{label}: not given yet" in body, label
    fields = body[body.index("Full name (as in the passport):") :]
    assert not re.search(r":[ ]*$", fields, re.MULTILINE), "a field with an empty value"


# --- the export ---------------------------------------------------------------------------


def test_the_host_export_rows_and_columns(app):
    call, place, applications, coordinator = nominated_world(app, latin_names=("=HYPERLINK(1)", "ALIEV BOBUR"))
    # A participant of the call at another host is not on this host's list.
    with one_commit():
        elsewhere = application_in(
            "nominated", call=call, hosts=[call.places[1]], applicant=UserFactory(faculty=applications[0].faculty)
        )
    client = client_for(app, coordinator)
    csv_url, xlsx_url = export_urls(call, place)

    response = client.get(csv_url)
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="nominations-call-{call.id}-host-{place.partner_id}.csv"'
    )
    rows = read_csv(response)
    assert rows[0] == HEADER
    assert [row[1] for row in rows[1:]] == ["'=HYPERLINK(1)", "ALIEV BOBUR"]
    first = dict(zip(HEADER, rows[2], strict=True))
    assert first == {
        "No": "2",
        "Full name (Latin)": "ALIEV BOBUR",
        "Date of birth": "2002-03-14",
        "Gender": "Female",
        "Nationality": "Tajikistan",
        "Study level": "Master or equivalent second cycle (EQF level 7)",
        "EQF level": "7",
        "ISCED-F code": "0613",
        "Field of education": "Software and applications development and analysis",
        "E-mail": applications[1].applicant.email,
        "Host institution": place.partner.name,
        "Call": call.title,
        "Mobility type": "Study",
        "Planned start": "2027-02-01",
        "Planned end": "2027-06-30",
        "Months": str(place.months),
        "Sending coordinator": "KARIMOV FARRUKH",
        "Coordinator's e-mail": "coordinator@khgu.example",
        "Coordinator's phone": "'+992 92 111 22 33",
        "State": "Nominated to the host",
    }
    assert elsewhere.applicant.email not in str(rows)
    assert not any("True" in cell or "opportunit" in cell.lower() for row in rows for cell in row)

    values, sheet = read_xlsx(client.get(xlsx_url))
    assert values[0] == HEADER
    assert [row[1] for row in values[1:]] == ["=HYPERLINK(1)", "ALIEV BOBUR"]
    assert sheet.cell(row=2, column=2).data_type == "s"  # text, not a formula
    assert values[2][6] == 7 and values[2][15] == place.months

    exports = db.session.scalars(db.select(SecurityEvent).where(SecurityEvent.kind == "export")).all()
    assert [(event.details["list"], event.details["rows"]) for event in exports] == [("host_nominations", 2)] * 2


def test_access_to_the_host_export(app):
    call, place, _applications, _coordinator = nominated_world(app)
    csv_url, xlsx_url = export_urls(call, place)
    with one_commit():
        other_coordinator = UserFactory(coordinates=[FacultyFactory()])
        examiner = UserFactory(roles=["examiner"])
        head = UserFactory(roles=["head"])
    for url in (csv_url, xlsx_url):
        assert client_for(app, other_coordinator).get(url).status_code in (403, 404)
        assert client_for(app, examiner).get(url).status_code == 403
        assert client_for(app, head).get(url).status_code == 200
        assert app.test_client().get(url).status_code == 302  # to the login page
    head_client = client_for(app, head)
    assert head_client.get(f"/calls/{call.id + 999}/hosts/{place.partner_id}/nominations.csv").status_code == 404
    assert head_client.get(f"/calls/{call.id}/hosts/{place.partner_id + 999}/nominations.csv").status_code == 404
    # A host nobody was nominated to: no list.
    assert head_client.get(export_urls(call, call.places[1])[0]).status_code == 404


def test_the_nominations_page_links_each_hosts_list(app):
    call, place, _applications, coordinator = nominated_world(app)
    page = text_of(client_for(app, coordinator).get("/nominations"))
    csv_url, xlsx_url = export_urls(call, place)
    assert f'href="{csv_url}"' in page and f'href="{xlsx_url}"' in page


# --- the warning --------------------------------------------------------------------------


def test_nominating_warns_of_missing_participant_data_but_does_not_refuse(app):
    _call, _place, [without, with_data], coordinator = confirmed_world(
        with_data=False, latin_names=("ALIEV BOBUR", "RAHIMOVA DILNOZA")
    )
    with one_commit():
        add_participant_data(with_data)
    client = client_for(app, coordinator)
    page = text_of(client.get("/nominations"))

    def row(application):
        start = page.index(f'<tr data-application="{application.id}"')
        return page[start : page.index("</tr>", start)]

    assert "Participant data not given yet" in row(without)
    assert f'href="/applications/{without.id}/participant-data"' in row(without)
    assert "Participant data not given yet" not in row(with_data)
    # The sensitive flags are not shown on the page.
    assert "opportunit" not in page.lower() and "special needs" not in page.lower()

    nominate(client, [without, with_data])
    assert db.session.get(type(without), without.id).state == "nominated"
