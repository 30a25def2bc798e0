"""The Beneficiary Module export: which mobilities, every mandatory column filled in a
complete setup, each missing piece listed and the file refused, the values, who may export
and a constant number of statements."""

import csv
import io
from datetime import date, timedelta

import pytest
from flask import current_app

from irflow.exports.beneficiary_module import COLUMNS, MOBILITY_STATES, beneficiary_export
from irflow.extensions import db
from irflow.grants import operations
from irflow.models import GrantAgreement, SecurityEvent, StayChange
from irflow.models.states import STATES

from .fixtures.beneficiary import add_participant_data, complete_mobility
from .fixtures.factories import (
    ApplicationFactory,
    CallFactory,
    UserFactory,
    add_approved_staff_agreement,
    application_in,
    one_commit,
)
from .fixtures.querycount import counting_statements
from .fixtures.web import client_for, text_of

HOME_OID = "E10000001"
PAGE = "/manage/exports/beneficiary-module"
CSV = "/manage/exports/beneficiary-module.csv"
HEADERS = [column.header for column in COLUMNS]
MANDATORY = [column.header for column in COLUMNS if column.mandatory]


@pytest.fixture(autouse=True)
def home_oid(app, monkeypatch):
    monkeypatch.setitem(app.config, "HOME_OID", HOME_OID)


@pytest.fixture
def head(app):
    with one_commit():
        user = UserFactory(roles=["head"], category="staff")
    return client_for(app, user)


def read_csv(response):
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def export_of(call_id=None, academic_year=None):
    """The export as the page computes it (its gaps link to pages: a request context)."""
    with current_app.test_request_context():
        return beneficiary_export(call_id=call_id, academic_year=academic_year)


def rows_of(call=None, year=None):
    export = export_of(call_id=call.id if call else None, academic_year=year)
    return {mobility.application.id: dict(zip(HEADERS, mobility.row(), strict=True)) for mobility in export.mobilities}


# --- which mobilities -----------------------------------------------------------------------


def test_rows_are_the_mobilities_of_the_call(app, head):
    call = CallFactory(mobility_type="study", places=(9,))
    mobilities = {complete_mobility(state, call=call).id for state in MOBILITY_STATES}
    with one_commit():
        for state in sorted(set(STATES) - set(MOBILITY_STATES)):
            application_in(state, call=call)
    complete_mobility(call=CallFactory(mobility_type="study"))  # another call's
    response = head.get(f"{CSV}?call={call.id}")
    assert response.status_code == 200, text_of(response)
    assert {row["Mobility Activity ID"] for row in read_csv(response)} == {f"IRFLOW-{id}" for id in mobilities}


def test_an_academic_year_spans_its_calls(app, head):
    first, second = CallFactory(academic_year="2026/2027"), CallFactory(academic_year="2026/2027")
    other = CallFactory(academic_year="2025/2026")
    wanted = {complete_mobility(call=first).id, complete_mobility(call=second).id}
    complete_mobility(call=other)
    assert set(rows_of(year="2026/2027")) == wanted
    response = head.get(f"{CSV}?year=2026-2027")
    assert {row["Mobility Activity ID"] for row in read_csv(response)} == {f"IRFLOW-{id}" for id in wanted}


# --- complete, and each gap -------------------------------------------------------------------


def test_a_complete_setup_fills_every_mandatory_column_and_offers_the_file(app, head):
    application = complete_mobility()
    page = head.get(f"{PAGE}?call={application.call_id}")
    assert page.status_code == 200 and 'id="download"' in page.get_data(as_text=True)
    assert 'id="gaps"' not in page.get_data(as_text=True)
    with head.get(f"{CSV}?call={application.call_id}", buffered=False) as streamed:
        assert streamed.status_code == 200 and streamed.is_streamed
    response = head.get(f"{CSV}?call={application.call_id}")
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="beneficiary-module-call-{application.call_id}.csv"'
    )
    (row,) = read_csv(response)
    assert list(row) == HEADERS
    assert [header for header in MANDATORY if not row[header]] == []
    assert (
        row["Sending Organisation OID"] == HOME_OID
        and row["Receiving Organisation OID"] == f"E{20000000 + application.allocated_place.partner_id}"
    )
    assert row["Activity Type"] == "HE-SMS" and row["Field of Education"] == "0613"
    assert row["Education Level"] == "6" and row["Participant Nationality"] == "TJ"
    assert row["Participant's Date of Birth"] == "17-05-2003" and row["Participant Gender"] == "Female"
    event = db.session.scalars(db.select(SecurityEvent).where(SecurityEvent.kind == "export")).all()[-1]
    assert event.details["list"] == "beneficiary_module" and event.details["rows"] == 1


def no_oid(application):
    application.allocated_place.partner.oid = None


def no_participant_data(application):
    db.session.delete(application.participant_data)


def no_isced_field(application):
    application.participant_data.isced_code = ""


def no_education_level(application):
    application.participant_data.study_cycle = "not_applicable"


def no_grant_rules(application):
    db.session.delete(operations.rules_of(application.call))


def no_coordinates(application):
    partner = application.allocated_place.partner
    partner.latitude = partner.longitude = None


def no_country_group(application):
    rules = operations.rules_of(application.call)
    rules.country_groups.clear()
    db.session.flush()


def no_city(application):
    application.allocated_place.partner.city = None


@pytest.mark.parametrize(
    ("remove", "columns", "fix_link"),
    [
        (no_oid, {"receiving_oid"}, "/manage/partners/"),
        (
            no_participant_data,
            {"birth_date", "gender", "nationality", "field_of_education", "education_level"}
            | {"fewer_opportunities", "special_needs"},
            "/participant-data",
        ),
        (no_isced_field, {"field_of_education"}, "/participant-data"),
        (no_education_level, {"education_level"}, "/participant-data"),
        (no_grant_rules, {"individual_support", "travel_grant", "total_grant"}, "/grant-rules"),
        (no_coordinates, {"distance_band"}, "/manage/partners/"),
        (no_country_group, {"individual_support"}, "/grant-rules"),
        (no_city, {"receiving_city"}, "/manage/partners/"),
    ],
)
def test_a_missing_value_is_listed_and_no_file_is_given(app, head, remove, columns, fix_link):
    application = complete_mobility()
    remove(application)
    db.session.commit()
    page = head.get(f"{PAGE}?call={application.call_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="gaps"' in html and 'id="download"' not in html
    export = export_of(call_id=application.call_id)
    (mobility,) = export.with_gaps
    assert {gap.column for gap in mobility.gaps} == columns
    assert all(fix_link in gap.url for gap in mobility.gaps)
    assert fix_link in html and application.applicant.full_name_latin in text_of(page)
    response = head.get(f"{CSV}?call={application.call_id}")
    assert response.status_code == 409 and "Content-Disposition" not in response.headers
    assert response.mimetype == "text/html" and 'id="gaps"' in response.get_data(as_text=True)


def test_no_home_oid_is_a_gap_for_every_mobility(app, head):
    application = complete_mobility()
    app.config["HOME_OID"] = ""  # monkeypatched by home_oid: put back after the test
    page = head.get(f"{PAGE}?call={application.call_id}")
    assert "HOME_OID" in text_of(page) and 'id="download"' not in page.get_data(as_text=True)
    assert head.get(f"{CSV}?call={application.call_id}").status_code == 409


def test_a_choice_without_mobilities_gives_no_file(app, head):
    call = CallFactory()
    page = head.get(f"{PAGE}?call={call.id}")
    assert page.status_code == 200 and 'id="download"' not in page.get_data(as_text=True)
    assert head.get(f"{CSV}?call={call.id}").status_code == 409


# --- values -----------------------------------------------------------------------------------


def test_dates_duration_without_the_interruption_band_green_travel_and_amounts(app):
    application = complete_mobility(state="returned", planned_start=date(2026, 9, 1), planned_end=date(2027, 1, 31))
    application.actual_departure, application.actual_return = date(2026, 9, 3), date(2027, 1, 20)
    db.session.add(GrantAgreement(application=application, green_travel=True, travel_days=4, version=1))
    db.session.add(
        StayChange(
            application=application,
            kind="interruption",
            interruption_from=date(2026, 12, 20),
            interruption_to=date(2027, 1, 2),
            reason="Winter break at home.",
            state="approved",
            version=1,
        )
    )
    db.session.add(  # refused: does not count
        StayChange(
            application=application,
            kind="interruption",
            interruption_from=date(2026, 11, 1),
            interruption_to=date(2026, 11, 5),
            reason="A family visit.",
            state="refused",
            version=1,
        )
    )
    application.participant_data.fewer_opportunities = True
    db.session.commit()
    row = rows_of(call=application.call)[application.id]
    assert row["Start Date"] == "03-09-2026" and row["End Date"] == "20-01-2027"
    assert row["Interrupted Duration (days)"] == 14
    assert row["Duration (days)"] == 140 - 14  # 3 Sep to 20 Jan: 140 days
    assert row["Distance Band"] == "4000-7999 km" and row["Green Travel"] == "Yes" and row["Travel Days"] == 4
    assert row["Participant with Fewer Opportunities"] == "Yes"
    _, _, actual = operations.grants_of(application)
    # 126 days without the interruption and 4 travel days: 4 months 10 days × 700
    assert row["Individual Support (EUR)"] == f"{actual.amount_of('individual_support'):.2f}" == "3033.33"
    assert row["Travel Grant (EUR)"] == f"{actual.amount_of('green_travel'):.2f}" == "920.00"
    assert row["Top-up for Fewer Opportunities (EUR)"] == f"{actual.amount_of('top_up'):.2f}"
    assert row["Total Grant (EUR)"] == f"{actual.granted_total:.2f}"


def test_before_return_the_planned_end_and_the_planned_grant_count(app):
    application = complete_mobility(state="abroad", planned_start=date(2026, 9, 1), planned_end=date(2027, 1, 13))
    application.actual_departure = date(2026, 9, 2)
    db.session.commit()
    row = rows_of(call=application.call)[application.id]
    assert row["Start Date"] == "02-09-2026" and row["End Date"] == "13-01-2027"
    assert row["Green Travel"] == "No" and row["Travel Days"] == 0
    _, planned, actual = operations.grants_of(application)
    assert actual is None
    assert row["Total Grant (EUR)"] == f"{planned.granted_total:.2f}" == "3970.00"
    assert row["Travel Grant (EUR)"] == "820.00"


@pytest.mark.parametrize(
    ("mobility_type", "category", "code"),
    [
        ("teaching", "teacher", "HE-STA"),
        ("training", "staff", "HE-STT"),
        ("conference", "teacher", "HE-STT"),
        ("study", "master", "HE-SMS"),
        ("research", "phd", "HE-SMS"),
        ("training", "bachelor", "HE-SMT"),
    ],
)
def test_activity_type_follows_the_mobility_type_and_the_category(app, mobility_type, category, code):
    with one_commit():
        call = CallFactory(mobility_type=mobility_type)
        applicant = UserFactory(category=category)
    application = complete_mobility(state="abroad", call=call, applicant=applicant)
    if category in ("teacher", "staff"):
        application.participant_data.study_cycle = "not_applicable"
        db.session.commit()
    export = export_of(call_id=call.id)
    assert export.mobilities[0].values["activity_type"] == code
    assert export.complete  # staff have no education level, and need none


def test_a_student_at_a_conference_has_no_activity_type_and_the_call_is_named(app):
    application = complete_mobility(state="abroad", call=CallFactory(mobility_type="conference"))
    (mobility,) = export_of(call_id=application.call_id).with_gaps
    assert [(gap.column, gap.url) for gap in mobility.gaps] == [
        ("activity_type", f"/manage/calls/{application.call_id}/edit")
    ]


def test_staff_amounts_follow_the_mobility_agreement_days_as_grants_of(app):
    with one_commit():
        call = CallFactory(mobility_type="teaching")
        applicant = UserFactory(category="teacher")
    application = complete_mobility(state="abroad", call=call, applicant=applicant)
    add_approved_staff_agreement(application)  # 5 days, not the planned dates' span
    db.session.commit()
    _, planned, _ = operations.grants_of(application)
    assert planned.days == 5
    row = rows_of(call=call)[application.id]
    assert row["Individual Support (EUR)"] == f"{planned.amount_of('individual_support'):.2f}" == "900.00"
    assert row["Total Grant (EUR)"] == f"{planned.granted_total:.2f}"


# --- access and statements --------------------------------------------------------------------


@pytest.mark.parametrize("role", ["coordinator", "examiner", "applicant"])
def test_only_the_head_exports(app, role):
    application = complete_mobility()
    with one_commit():
        user = UserFactory(roles=[] if role == "applicant" else [role])
    client = client_for(app, user)
    for path in (PAGE, f"{PAGE}?call={application.call_id}", f"{CSV}?call={application.call_id}"):
        assert client.get(path).status_code == 403
    assert app.test_client().get(f"{CSV}?call={application.call_id}").status_code == 302


def test_an_admin_exports_as_the_head_does(app):
    application = complete_mobility()
    with one_commit():
        admin = UserFactory(roles=["admin"], category="staff")
    response = client_for(app, admin).get(f"{CSV}?call={application.call_id}")
    assert response.status_code == 200 and len(read_csv(response)) == 1


def test_unknown_call_and_bad_year_are_404(app, head):
    assert head.get(f"{PAGE}?call=999999").status_code == 404
    assert head.get(f"{CSV}?year=2026-2028").status_code == 404
    assert head.get(CSV).status_code == 404


def build_mobilities(call, count):
    with one_commit():
        for _ in range(count):
            place = call.places[0]
            application = ApplicationFactory(call=call, state="returned", hosts=[place], allocated_place=place)
            application.actual_departure = date.today() - timedelta(days=60)
            application.actual_return = date.today() - timedelta(days=2)
            add_participant_data(application)
            db.session.add(GrantAgreement(application=application, green_travel=True, travel_days=2, version=1))


def statements_of(client, path):
    client.get(path)  # warm-up
    with counting_statements() as statements:
        response = client.get(path)
        response.get_data()
    assert response.status_code == 200
    return len(statements)


def test_the_number_of_statements_does_not_grow_with_the_mobilities(app, head):
    call = complete_mobility(call=CallFactory(mobility_type="study", places=(80,))).call
    build_mobilities(call, 4)
    page, download = statements_of(head, f"{PAGE}?call={call.id}"), statements_of(head, f"{CSV}?call={call.id}")
    build_mobilities(call, 60)
    assert len(export_of(call_id=call.id).mobilities) == 65
    assert statements_of(head, f"{PAGE}?call={call.id}") == page
    assert statements_of(head, f"{CSV}?call={call.id}") == download


def test_a_mandatory_value_missing_without_a_gap_still_gives_no_file(app, head, monkeypatch):
    application = complete_mobility()
    monkeypatch.setattr("irflow.exports.beneficiary_module.yes_no", lambda flag: None)
    assert not export_of(call_id=application.call_id).with_gaps
    assert head.get(f"{CSV}?call={application.call_id}").status_code == 409


@pytest.mark.parametrize(("locale", "heading"), [("ru", "Выгрузка для Beneficiary Module"), ("tg", "Содирот барои")])
def test_the_page_speaks_the_heads_language_and_the_file_keeps_english_headers(app, locale, heading):
    application = complete_mobility()
    with one_commit():
        user = UserFactory(roles=["head"], category="staff", locale=locale)
    client = client_for(app, user)
    page = client.get(f"{PAGE}?call={application.call_id}")
    assert page.status_code == 200 and heading in text_of(page)
    assert list(read_csv(client.get(f"{CSV}?call={application.call_id}"))[0]) == HEADERS
