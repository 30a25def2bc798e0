"""The dashboard of the head and the coordinators: GET /dashboard/.

The expected figures are computed here, in Python, from the list of applications the test
built — never with the dashboard's own queries — and the participants are reconciled with
the CSV exports of selected participants, read back with the csv module."""

import csv
import io
import re
import uuid
from collections import Counter
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from irflow.dashboard.charts import BAR_AREA
from irflow.dashboard.queries import dashboard_scope, overdue_reports
from irflow.extensions import db
from irflow.models import Agreement, Application, Call, CallPlace, Partner, User
from irflow.models.base import utcnow

from .fixtures.factories import (
    PASSWORD_HASH,
    ApplicationFactory,
    CallFactory,
    FacultyFactory,
    PartnerFactory,
    ProgramFactory,
    UserFactory,
    one_commit,
)
from .fixtures.querycount import counting_statements

# Written out, not imported: the test states what a participant is (the exports' rows).
PARTICIPANT_STATES = {
    "selected",
    "confirmed",
    "nominated",
    "host_accepted",
    "abroad",
    "returned",
    "report_submitted",
    "completed",
}
BOM = b"\xef\xbb\xbf"
COUNTRY_NAMES = {"DE": "Germany", "FR": "France", "PL": "Poland", "KZ": "Kazakhstan"}
CATEGORY_LABELS = {
    "bachelor": "Bachelor student",
    "master": "Master candidate",
    "phd": "PhD candidate",
    "teacher": "Teacher",
    "staff": "Staff",
}
MOBILITY_LABELS = {"study": "Study", "teaching": "Teaching", "research": "Research"}


# --- reading the page ------------------------------------------------------------------


class DashboardPage(HTMLParser):
    """The figures of a rendered dashboard, read from its markup."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.per_call = {}  # call id -> {state: number}
        self.call_totals = {}  # call id -> number (drafts excluded)
        self.call_participants = {}  # call id -> number
        self.review_links = {}  # (call id, state) -> href
        self.groups = {}  # grouping -> {key: number}
        self.labels = {}  # grouping -> {key: label text}
        self.group_totals = {}  # grouping -> number
        self.charts = {}  # svg id -> {"attrs", "title", "bars": [(value, width)]}
        self.participants_total = None
        self.agreements = []
        self.overdue = {}  # application id -> days overdue
        self.ignored = False
        self._call = self._group = self._key = self._svg = self._bar_value = None
        self._label_cell = False
        self._label_text = []
        self._title = False
        self._overdue_row = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id") == "ignored-filters":
            self.ignored = True
        if attrs.get("id") == "participants-total":
            self.participants_total = int(attrs["data-total"])
        if tag == "tr" and "data-call" in attrs:
            self._call = int(attrs["data-call"])
            self.per_call[self._call] = {}
        if tag == "a" and self._call is not None and "data-state" in attrs:
            self.per_call[self._call][attrs["data-state"]] = int(attrs["data-count"])
            self.review_links[(self._call, attrs["data-state"])] = attrs["href"]
        if self._call is not None and "data-total" in attrs:
            self.call_totals[self._call] = int(attrs["data-total"])
        if self._call is not None and "data-participants" in attrs:
            self.call_participants[self._call] = int(attrs["data-participants"])
        if tag == "table" and "data-group" in attrs:
            self._group = attrs["data-group"]
            self.groups[self._group], self.labels[self._group] = {}, {}
        if self._group is not None and tag == "tr" and "data-key" in attrs:
            self._key = attrs["data-key"]
            self._label_cell, self._label_text = True, []
        if self._group is not None and tag == "td" and "data-count" in attrs:
            self._label_cell = False
            self.groups[self._group][self._key] = int(attrs["data-count"])
            self.labels[self._group][self._key] = " ".join("".join(self._label_text).split())
        if self._group is not None and tag == "td" and "data-total" in attrs:
            self.group_totals[self._group] = int(attrs["data-total"])
        if tag == "a" and self._label_cell:
            self._label_cell = False  # the CSV link after a year is no part of its label
        if tag == "svg":
            self._svg = attrs["id"]
            self.charts[self._svg] = {"attrs": attrs, "title": None, "bars": []}
        if tag == "title" and self._svg is not None and self.charts[self._svg]["title"] is None:
            self._title = True
        if tag == "g" and self._svg is not None:
            self._bar_value = int(attrs["data-value"])
        if tag == "rect" and self._svg is not None:
            self.charts[self._svg]["bars"].append((self._bar_value, float(attrs["width"])))
        if tag == "tr" and "data-agreement" in attrs:
            self.agreements.append(int(attrs["data-agreement"]))
        if tag == "tr" and "data-application" in attrs:
            self._overdue_row = int(attrs["data-application"])
        if "data-days-overdue" in attrs:
            self.overdue[self._overdue_row] = int(attrs["data-days-overdue"])

    def handle_endtag(self, tag):
        if tag == "tr":
            self._call = None
        if tag == "table":
            self._group = None
        if tag == "svg":
            self._svg = None
        if tag == "title":
            self._title = False

    def handle_data(self, data):
        if self._label_cell:
            self._label_text.append(data)
        if self._title:
            self.charts[self._svg]["title"] = data.strip()


def dashboard(client, **args):
    response = client.get("/dashboard/", query_string=args)
    assert response.status_code == 200, response.status_code
    return DashboardPage(response.get_data(as_text=True))


def csv_rows(client, call_id):
    response = client.get(f"/calls/{call_id}/export/selected.csv")
    assert response.status_code == 200, response.status_code
    data = response.get_data()
    assert data.startswith(BOM)
    rows = list(csv.reader(io.StringIO(data[len(BOM) :].decode("utf-8"), newline="")))
    return rows[1:]  # without the header


# --- the data set ------------------------------------------------------------------------

# Per call: (academic year, mobility type, host partners (by key), the states of its
# applications). Every third application is of faculty B, the others of faculty A;
# categories, hosts cycle. Non-participants of every kind are mixed in, some of them
# (declined, host rejected) still pointing at the place they held.
CALLS = {
    "c1": (
        "2025/2026",
        "study",
        ("leipzig", "sorbonne"),
        [
            "selected",
            "confirmed",
            "completed",
            "completed",
            "submitted",
            "waitlisted",
            "declined",
            "draft",
            "report_submitted",
            "cancelled",
        ],
    ),
    "c2": (
        "2026/2027",
        "teaching",
        ("dresden", "warsaw"),
        [
            "nominated",
            "host_accepted",
            "abroad",
            "host_rejected",
            "withdrawn",
            "eligible",
            "tested",
            "selected",
            "changes_requested",
        ],
    ),
    "c3": (
        "2026/2027",
        "research",
        ("leipzig", "warsaw", "almaty"),
        [
            "returned",
            "abroad",
            "confirmed",
            "not_selected",
            "ineligible",
            "absent",
            "selected",
            "completed",
            "selected",
            "draft",
            "submitted",
        ],
    ),
    "c4": ("2027/2028", "study", ("sorbonne",), ["selected", "waitlisted", "tested", "confirmed"]),
}
PARTNERS = {
    "leipzig": ("Universität Leipzig", "DE"),
    "dresden": ("TU Dresden", "DE"),
    "sorbonne": ("Sorbonne Université", "FR"),
    "warsaw": ("University of Warsaw", "PL"),
    "almaty": ("Al-Farabi Kazakh National University", "KZ"),
}
CATEGORY_CYCLE = ("bachelor", "master", "phd", "teacher", "staff", "bachelor", "master")
HOLDS_PLACE = PARTICIPANT_STATES | {"declined", "host_rejected"}


@pytest.fixture
def mixed():
    """The data set of CALLS; returns a dict with the rows and a flat list of facts, one
    per application, that the expected figures are computed from."""
    with one_commit():
        faculty_a = FacultyFactory(name="Faculty of Physics")
        faculty_b = FacultyFactory(name="Faculty of Law")
        partners = {key: PartnerFactory(name=name, country=country) for key, (name, country) in PARTNERS.items()}
        program = ProgramFactory(name="Erasmus+ KA171")
        calls, facts = {}, []
        for call_key, (year, mobility, hosts, states) in CALLS.items():
            call = CallFactory(
                program=program, title=f"Call {call_key}", academic_year=year, mobility_type=mobility, places=[]
            )
            call.places = [CallPlace(partner=partners[host], places=5, months=5) for host in hosts]
            db.session.flush()
            calls[call_key] = call
            for index, state in enumerate(states):
                faculty = faculty_b if index % 3 == 2 else faculty_a
                category = CATEGORY_CYCLE[index % len(CATEGORY_CYCLE)]
                host = hosts[index % len(hosts)]
                place = call.places[index % len(hosts)]
                applicant = UserFactory(faculty=faculty, category=category)
                application = ApplicationFactory(
                    call=call,
                    applicant=applicant,
                    faculty=faculty,
                    state=state,
                    hosts=[place],
                    allocated_place=place if state in HOLDS_PLACE else None,
                )
                facts.append(
                    {
                        "application": application,
                        "call": call_key,
                        "year": year,
                        "mobility": mobility,
                        "state": state,
                        "faculty": faculty,
                        "category": category,
                        "host": host,
                        "country": PARTNERS[host][1],
                    }
                )
    return {"calls": calls, "facts": facts, "faculty_a": faculty_a, "faculty_b": faculty_b, "partners": partners}


def expected(facts, faculty=None, years=None):
    """The dashboard's figures computed from the facts: per call per state (drafts left
    out) and the participants by every grouping."""
    chosen = [
        fact
        for fact in facts
        if (faculty is None or fact["faculty"] is faculty) and (years is None or fact["year"] in years)
    ]
    per_call = {}
    for fact in chosen:
        if fact["state"] != "draft":
            counts = per_call.setdefault(fact["call"], Counter())
            counts[fact["state"]] += 1
    participants = [fact for fact in chosen if fact["state"] in PARTICIPANT_STATES]
    return {
        "per_call": {key: dict(counts) for key, counts in per_call.items()},
        "total": len(participants),
        "year": dict(Counter(fact["year"] for fact in participants)),
        "country": dict(Counter(fact["country"] for fact in participants)),
        "partner": dict(Counter(PARTNERS[fact["host"]][0] for fact in participants)),
        "category": dict(Counter(fact["category"] for fact in participants)),
        "mobility_type": dict(Counter(fact["mobility"] for fact in participants)),
    }


def shown(page, mixed):
    """The page's figures keyed as `expected` keys them."""
    call_keys = {call.id: key for key, call in mixed["calls"].items()}
    partner_names = {str(partner.id): partner.name for partner in mixed["partners"].values()}
    groups = page.groups
    return {
        "per_call": {call_keys[call_id]: counts for call_id, counts in page.per_call.items()},
        "total": page.participants_total,
        "year": groups.get("year", {}),
        "country": groups.get("country", {}),
        "partner": {partner_names[key]: number for key, number in groups.get("partner", {}).items()},
        "category": groups.get("category", {}),
        "mobility_type": groups.get("mobility_type", {}),
    }


# --- who may see it ------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/login"


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("applicant", 403),
        ("examiner", 403),
        ("coordinator", 200),
        ("coordinator_without_faculties", 200),
        ("head", 200),
        ("admin", 200),
        ("inactive_head", 302),
        ("inactive_coordinator", 302),
    ],
)
def test_role_matrix(client, login_as, kind, status):
    with one_commit():
        faculty = FacultyFactory()
        users = {
            "applicant": lambda: UserFactory(),
            "examiner": lambda: UserFactory(roles=["examiner"]),
            "coordinator": lambda: UserFactory(coordinates=[faculty]),
            "coordinator_without_faculties": lambda: UserFactory(roles=["coordinator"]),
            "head": lambda: UserFactory(roles=["head"]),
            "admin": lambda: UserFactory(roles=["admin"]),
            "inactive_head": lambda: UserFactory(roles=["head"], active=False),
            "inactive_coordinator": lambda: UserFactory(coordinates=[faculty], active=False),
        }
        user = users[kind]()
    response = login_as(user).get("/dashboard/")
    assert response.status_code == status
    if status == 302:  # a deactivated account is logged out, not shown the page
        assert urlsplit(response.headers["Location"]).path == "/auth/login"
    nav_link = 'href="/dashboard/"' in client.get("/applications/").get_data(as_text=True)
    assert nav_link == (status == 200)


# --- the figures -------------------------------------------------------------------------------


def test_head_sees_every_figure_as_computed_from_the_data(client, login_as, mixed):
    page = dashboard(login_as(UserFactory(roles=["head"])))
    want = expected(mixed["facts"])
    assert shown(page, mixed) == want
    assert want["total"] == 17 and len(want["country"]) == 4  # the data set is as mixed as meant

    # Every grouping counts each participant once: the totals agree.
    assert page.group_totals == dict.fromkeys(
        ("year", "country", "partner", "category", "mobility_type"), want["total"]
    )
    # Per call, the participants column is the holding states' part of that call's row.
    for call_key, call in mixed["calls"].items():
        counts = want["per_call"][call_key]
        assert page.call_totals[call.id] == sum(counts.values())
        assert page.call_participants[call.id] == sum(n for s, n in counts.items() if s in PARTICIPANT_STATES)
    # Labels in the user's language.
    assert page.labels["country"] == {code: COUNTRY_NAMES[code] for code in want["country"]}
    assert page.labels["category"] == {key: CATEGORY_LABELS[key] for key in want["category"]}
    assert page.labels["mobility_type"] == {key: MOBILITY_LABELS[key] for key in want["mobility_type"]}
    assert set(page.labels["partner"].values()) == set(want["partner"])


def test_coordinator_sees_only_their_faculties(client, login_as, mixed):
    faculty_a, faculty_b = mixed["faculty_a"], mixed["faculty_b"]
    page = dashboard(login_as(UserFactory(coordinates=[faculty_b])))
    want = expected(mixed["facts"], faculty=faculty_b)
    assert shown(page, mixed) == want
    assert want != expected(mixed["facts"])  # faculty B is not everything

    page = dashboard(login_as(UserFactory(coordinates=[faculty_a])))
    assert shown(page, mixed) == expected(mixed["facts"], faculty=faculty_a)

    both = dashboard(login_as(UserFactory(coordinates=[faculty_a, faculty_b])))
    assert shown(both, mixed) == expected(mixed["facts"])


def test_coordinators_own_application_of_another_faculty_is_not_counted(client, login_as, mixed):
    faculty_a, faculty_b = mixed["faculty_a"], mixed["faculty_b"]
    with one_commit():
        coordinator = UserFactory(faculty=faculty_b, coordinates=[faculty_a])
        place = mixed["calls"]["c4"].places[0]
        ApplicationFactory(
            call=mixed["calls"]["c4"],
            applicant=coordinator,
            faculty=faculty_b,
            state="selected",
            hosts=[place],
            allocated_place=place,
        )
    page = dashboard(login_as(coordinator))
    assert shown(page, mixed) == expected(mixed["facts"], faculty=faculty_a)


def test_coordinator_without_faculties_sees_nothing(client, login_as, mixed):
    page = dashboard(login_as(UserFactory(roles=["coordinator"])))
    assert page.per_call == {} and page.participants_total == 0 and page.groups == {}


def test_counts_link_to_the_review_queue_filtered_by_call_and_state(client, login_as, mixed):
    head = login_as(UserFactory(roles=["head"]))
    page = dashboard(head)
    call = mixed["calls"]["c1"]
    link = page.review_links[(call.id, "completed")]
    assert urlsplit(link).path == "/review/"
    assert parse_qs(urlsplit(link).query) == {"call": [str(call.id)], "state": ["completed"]}
    # ... and the queue agrees with the number.
    queue = head.get(link).get_data(as_text=True)
    assert f'data-state="completed">{page.per_call[call.id]["completed"]}<' in queue
    # Only non-zero counts are shown: c4 has no drafts, declines, ...
    assert set(page.per_call[mixed["calls"]["c4"].id]) == {"selected", "waitlisted", "tested", "confirmed"}


def test_participants_reconcile_with_the_csv_exports(client, login_as, mixed):
    for user in (UserFactory(roles=["head"]), UserFactory(coordinates=[mixed["faculty_a"]])):
        client = login_as(user)
        page = dashboard(client)
        rows_per_call = {call.id: len(csv_rows(client, call.id)) for call in mixed["calls"].values()}
        assert sum(rows_per_call.values()) == page.participants_total > 0
        assert rows_per_call == {call_id: page.call_participants.get(call_id, 0) for call_id in rows_per_call}
        # The host countries the CSV lists are the ones counted.
        listed = Counter(row[10] for call in mixed["calls"].values() for row in csv_rows(client, call.id))
        assert listed == {page.labels["country"][code]: n for code, n in page.groups["country"].items()}


def test_country_names_in_the_users_language(client, login_as, mixed):
    page = dashboard(login_as(UserFactory(roles=["head"], locale="ru")))
    assert page.labels["country"]["DE"] == "Германия"
    assert page.labels["country"]["FR"] == "Франция"


# --- the period ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "years"),
    [
        ({"year_from": "2026/2027", "year_to": "2026/2027"}, {"2026/2027"}),
        ({"year_from": "2026/2027"}, {"2026/2027", "2027/2028"}),
        ({"year_to": "2026/2027"}, {"2025/2026", "2026/2027"}),
        ({"year_from": "2025/2026", "year_to": "2027/2028"}, {"2025/2026", "2026/2027", "2027/2028"}),
        # Well-formed years no call is in: kept (a bookmark stays valid), nothing matches.
        ({"year_from": "2030/2031"}, set()),
    ],
)
def test_period_filter(client, login_as, mixed, args, years):
    page = dashboard(login_as(UserFactory(roles=["head"])), **args)
    assert not page.ignored
    assert shown(page, mixed) == expected(mixed["facts"], years=years)


@pytest.mark.parametrize(
    ("args", "years"),
    [
        ({"year_from": "abc"}, None),
        ({"year_from": "2026/2028"}, None),
        ({"year_from": "2026-2027"}, None),
        ({"year_from": "2026/2027\x00"}, None),
        ({"year_to": "9" * 5000}, None),
        ({"year_from": "<script>", "year_to": "2025/2026"}, {"2025/2026"}),  # the valid end is kept
        ({"year_from": "2027/2028", "year_to": "2025/2026"}, None),  # ends before it starts
    ],
)
def test_invalid_period_is_ignored_with_a_note(client, login_as, mixed, args, years):
    response = login_as(UserFactory(roles=["head"])).get("/dashboard/", query_string=args)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    page = DashboardPage(text)
    assert page.ignored
    assert "<script>" not in text
    assert shown(page, mixed) == expected(mixed["facts"], years=years)


def test_unknown_arguments_are_harmless(client, login_as, mixed):
    page = dashboard(login_as(UserFactory(roles=["head"])), page="x", state="nonsense", call="-1")
    assert not page.ignored
    assert shown(page, mixed) == expected(mixed["facts"])


# --- charts ---------------------------------------------------------------------------------


def test_each_grouping_is_an_accessible_svg_bar_chart_with_proportional_bars(client, login_as, mixed):
    page = dashboard(login_as(UserFactory(roles=["head"])))
    assert set(page.charts) == {f"chart-{grouping}" for grouping in page.groups}
    for chart_id, chart in page.charts.items():
        grouping = chart_id.removeprefix("chart-")
        assert chart["attrs"]["role"] == "img"
        assert chart["attrs"]["aria-label"] == chart["title"] and chart["title"].startswith("Participants by")
        values = [value for value, _ in chart["bars"]]
        assert sorted(values) == sorted(page.groups[grouping].values())
        largest = max(values)
        for value, width in chart["bars"]:
            assert width == pytest.approx(BAR_AREA * value / largest, abs=0.01)
        assert max(width for _, width in chart["bars"]) == pytest.approx(BAR_AREA)


def test_page_loads_no_script_and_nothing_from_outside(client, login_as, mixed):
    text = login_as(UserFactory(roles=["head"])).get("/dashboard/").get_data(as_text=True)
    body = text[text.index("<main") : text.index("</main>")]
    assert "<script" not in body
    assert "http://" not in body.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in body


# --- agreements and overdue reports --------------------------------------------------------


def test_agreements_expiring_within_90_days(client, login_as):
    today = date.today()
    with one_commit():
        partner = PartnerFactory(name="Universität Leipzig", country="DE")
        program = ProgramFactory(name="Erasmus+ KA171")
        soon = Agreement(partner=partner, program=program, title="IIA 2023–2026", valid_until=today + timedelta(30))
        later = Agreement(partner=partner, title="MoU", valid_until=today + timedelta(200))
        past = Agreement(partner=partner, title="Old MoU", valid_until=today - timedelta(7))
        db.session.add_all([soon, later, past])
        faculty = FacultyFactory()
    for user in (UserFactory(roles=["head"]), UserFactory(coordinates=[faculty])):
        response = login_as(user).get("/dashboard/")
        page = DashboardPage(response.get_data(as_text=True))
        assert page.agreements == [soon.id]
        text = response.get_data(as_text=True)
        assert "Universität Leipzig" in text and "Erasmus+ KA171" in text and "Germany" in text
        # A day either way where the user's today (Asia/Dushanbe) is not the server's.
        assert re.findall(r'data-days-left="(\d+)"', text) in (["29"], ["30"], ["31"])


@pytest.fixture
def returns():
    """Participants of faculties A and B back home 60 and 2 days ago, and one whose report is in."""
    today = date.today()
    with one_commit():
        faculty_a, faculty_b = FacultyFactory(), FacultyFactory()
        call = CallFactory(places=[5, 1])  # the five below hold places at the first host
        call.places[0].partner.name = "Universität Leipzig"

        def back(faculty, state, days_ago, latin):
            place = call.places[0]
            return ApplicationFactory(
                call=call,
                applicant=UserFactory(faculty=faculty, full_name_latin=latin),
                faculty=faculty,
                state=state,
                hosts=[place],
                allocated_place=place,
                actual_departure=today - timedelta(days=days_ago + 100),
                actual_return=today - timedelta(days=days_ago),
            )

        made = {
            "late_a": back(faculty_a, "returned", 60, "LATE ALPHA"),
            "late_b": back(faculty_b, "returned", 45, "LATE BRAVO"),
            "recent_a": back(faculty_a, "returned", 2, "RECENT ALPHA"),
            "reported_a": back(faculty_a, "report_submitted", 60, "REPORTED ALPHA"),
            "completed_a": back(faculty_a, "completed", 90, "COMPLETED ALPHA"),
        }
    return made, faculty_a, faculty_b


def test_overdue_reports_are_listed_with_days_and_a_link(client, login_as, returns):
    made, faculty_a, faculty_b = returns
    response = login_as(UserFactory(roles=["head"])).get("/dashboard/")
    page = DashboardPage(response.get_data(as_text=True))
    # Most overdue first; 60 days back with 30 days to report is about 30 days late
    # (a day either way where the user's today is not the server's).
    assert list(page.overdue) == [made["late_a"].id, made["late_b"].id]
    assert page.overdue[made["late_a"].id] in (29, 30, 31)
    assert page.overdue[made["late_b"].id] in (14, 15, 16)
    text = response.get_data(as_text=True)
    assert f'href="/applications/{made["late_a"].id}"' in text
    assert "LATE ALPHA" in text and "Universität Leipzig" in text
    assert "RECENT ALPHA" not in text and "REPORTED ALPHA" not in text


def test_overdue_reports_are_scoped_to_the_coordinators_faculties(client, login_as, returns):
    made, faculty_a, faculty_b = returns
    page = dashboard(login_as(UserFactory(coordinates=[faculty_b])))
    assert list(page.overdue) == [made["late_b"].id]


def test_overdue_reports_below_the_cap_have_no_link_to_all(client, login_as, returns):
    text = login_as(UserFactory(roles=["head"])).get("/dashboard/").get_data(as_text=True)
    assert 'id="overdue-reports"' in text
    assert "/dashboard/overdue" not in text


def test_the_page_of_all_overdue_reports_is_scoped_too(client, login_as, returns):
    made, faculty_a, faculty_b = returns
    response = login_as(UserFactory(coordinates=[faculty_b])).get("/dashboard/overdue")
    assert response.status_code == 200
    assert list(DashboardPage(response.get_data(as_text=True)).overdue) == [made["late_b"].id]
    assert login_as(UserFactory()).get("/dashboard/overdue").status_code == 403


def test_a_report_is_overdue_the_day_after_it_is_due(app, returns):
    made, *_ = returns
    head = UserFactory(roles=["head"])
    returned_on = made["late_a"].actual_return
    scope = dashboard_scope(head)

    def listed(today, due_days):
        return {report.application_id: report.days_overdue for report in overdue_reports(scope, today, due_days)}

    assert made["late_a"].id not in listed(returned_on + timedelta(days=30), 30)  # due today: not yet late
    assert listed(returned_on + timedelta(days=31), 30)[made["late_a"].id] == 1
    assert made["late_a"].id not in listed(returned_on + timedelta(days=31), 31)


def test_report_due_days_comes_from_the_configuration(app, client, login_as, returns):
    made, *_ = returns
    app.config["REPORT_DUE_DAYS"] = 50
    try:
        page = dashboard(login_as(UserFactory(roles=["head"])))
    finally:
        app.config["REPORT_DUE_DAYS"] = 30
    assert list(page.overdue) == [made["late_a"].id]


# --- cost ---------------------------------------------------------------------------------------


def bulk_participants(count, call_count, partner_count, faculty):
    """`count` applications in a few statements, over new calls (every mobility type, two
    academic years), partners (several countries), categories and states."""
    tag = uuid.uuid4().hex[:8]
    program = ProgramFactory()
    now = utcnow()
    countries = ("DE", "FR", "PL", "KZ", "TR", "KR", "CN")
    partner_ids = db.session.scalars(
        sa.insert(Partner).returning(Partner.id, sort_by_parameter_order=True),
        [
            {"name": f"Bulk partner {tag} {n}", "country": countries[n % len(countries)], "kind": "university"}
            for n in range(partner_count)
        ],
    ).all()
    mobility = ("study", "research", "training", "teaching", "conference")
    call_ids = db.session.scalars(
        sa.insert(Call).returning(Call.id, sort_by_parameter_order=True),
        [
            {
                "program_id": program.id,
                "title_en": f"Bulk call {tag} {n}",
                "mobility_type": mobility[n % 5],
                "eligible_categories": ["bachelor"],
                "required_document_kinds": [],
                "academic_year": ("2025/2026", "2026/2027")[n % 2],
                "opens_at": now - timedelta(days=40),
                "closes_at": now + timedelta(days=20),
                "published": True,
            }
            for n in range(call_count)
        ],
    ).all()
    place_ids = db.session.scalars(
        sa.insert(CallPlace).returning(CallPlace.id, sort_by_parameter_order=True),
        [
            {"call_id": call_id, "partner_id": partner_ids[(n + k) % partner_count], "places": 50, "months": 5}
            for n, call_id in enumerate(call_ids)
            for k in range(2)
        ],
    ).all()
    categories = tuple(CATEGORY_LABELS)
    applicant_ids = db.session.scalars(
        sa.insert(User).returning(User.id, sort_by_parameter_order=True),
        [
            {
                "email": f"bulk-{tag}-{n}@example.org",
                "password_hash": PASSWORD_HASH,
                "full_name_native": f"Бахш {n}",
                "full_name_latin": f"BULK {tag} {n:05d}",
                "category": categories[n % 5],
                "faculty_id": faculty.id,
                "active": True,
            }
            for n in range(count)
        ],
    ).all()
    states = ("selected", "confirmed", "abroad", "returned", "completed", "submitted", "waitlisted")
    today = date.today()
    rows = []
    for n, applicant_id in enumerate(applicant_ids):
        place_index = n % len(place_ids)
        state = states[n % len(states)]
        rows.append(
            {
                "call_id": call_ids[place_index // 2],
                "applicant_id": applicant_id,
                "faculty_id": faculty.id,
                "state": state,
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "submitted_at": now,
                "allocated_place_id": place_ids[place_index] if state in PARTICIPANT_STATES else None,
                "actual_departure": today - timedelta(days=200)
                if state in ("abroad", "returned", "completed")
                else None,
                "actual_return": today - timedelta(days=40 + n % 5) if state in ("returned", "completed") else None,
            }
        )
    db.session.execute(sa.insert(Application.__table__), rows)
    db.session.add(Agreement(partner_id=partner_ids[0], valid_until=today + timedelta(days=10)))
    db.session.commit()


def test_constant_number_of_statements_whatever_the_data(client, login_as):
    faculty = FacultyFactory()
    head = login_as(UserFactory(roles=["head"]))

    def statements():
        head.get("/dashboard/")  # warm-up: first-request work is not the page's cost
        with counting_statements() as recorded:
            page = dashboard(head)
        return len(recorded), page

    bulk_participants(12, call_count=2, partner_count=2, faculty=faculty)
    small, small_page = statements()
    bulk_participants(600, call_count=30, partner_count=25, faculty=faculty)
    large, large_page = statements()

    assert large_page.participants_total > 10 * small_page.participants_total
    assert len(large_page.per_call) == 32 and len(large_page.groups["partner"]) == 27
    assert len(large_page.overdue) == 20 and len(large_page.agreements) == 2
    assert small == large
    # The session, the user (roles, faculties), the years, the figures (counts per state,
    # participants, their calls), agreements, overdue.
    assert large <= 9


def test_the_dashboard_lists_the_20_most_overdue_and_links_to_all(client, login_as):
    faculty = FacultyFactory()
    head_user = UserFactory(roles=["head"])
    head = login_as(head_user)
    bulk_participants(600, call_count=30, partner_count=25, faculty=faculty)
    every = overdue_reports(dashboard_scope(head_user), date.today(), 30)
    assert len(every) > 50

    response = head.get("/dashboard/")
    text = response.get_data(as_text=True)
    page = DashboardPage(text)
    assert list(page.overdue) == [report.application_id for report in every[:20]]
    link = re.search(r'<a href="([^"]+)" id="all-overdue" data-total="(\d+)"', text)
    assert link and link.group(1) == "/dashboard/overdue" and int(link.group(2)) == len(every)
    assert f"The 20 most overdue of {len(every)} are shown." in text

    listed = []
    next_page = link.group(1)
    while next_page:
        response = head.get(next_page)
        assert response.status_code == 200
        page_text = response.get_data(as_text=True)
        listed += list(DashboardPage(page_text).overdue)
        following = re.search(r'rel="next" href="([^"]+)"', page_text)
        next_page = following.group(1).replace("&amp;", "&") if following else None
    assert listed == [report.application_id for report in every]
    # Beyond the last page, or not a page: the first page.
    assert head.get("/dashboard/overdue?page=99").headers["Location"].endswith("/dashboard/overdue")
    assert head.get("/dashboard/overdue?page=0").status_code == 302
    assert head.get("/dashboard/overdue?page=x").status_code == 200


def test_figures_equal_those_of_one_query_per_grouping(client, login_as):
    """The one grouped pass gives what a GROUP BY per grouping (the former queries) gives."""
    faculty, other = FacultyFactory(), FacultyFactory()
    bulk_participants(300, call_count=12, partner_count=9, faculty=faculty)
    bulk_participants(40, call_count=3, partner_count=4, faculty=other)
    page = dashboard(login_as(UserFactory(roles=["head"])))

    holding = Application.state.in_(sorted(PARTICIPANT_STATES))
    base = sa.select(sa.func.count(Application.id)).select_from(Application).join(Call).where(holding)
    with_host = base.outerjoin(CallPlace, CallPlace.id == Application.allocated_place_id).outerjoin(
        Partner, Partner.id == CallPlace.partner_id
    )
    separate = {
        "year": base.add_columns(Call.academic_year).group_by(Call.academic_year),
        "country": with_host.add_columns(Partner.country).group_by(Partner.country),
        "partner": with_host.add_columns(Partner.id).group_by(Partner.id),
        "category": base.join(User, User.id == Application.applicant_id)
        .add_columns(User.category)
        .group_by(User.category),
        "mobility_type": base.add_columns(Call.mobility_type).group_by(Call.mobility_type),
    }
    for grouping, query in separate.items():
        expected = {"" if key is None else str(key): number for number, key in db.session.execute(query)}
        assert page.groups[grouping] == expected, grouping
    per_state = db.session.execute(
        sa.select(Application.call_id, Application.state, sa.func.count(Application.id))
        .where(Application.state != "draft")
        .group_by(Application.call_id, Application.state)
    ).all()
    expected_calls = {}
    for call_id, state, number in per_state:
        expected_calls.setdefault(call_id, {})[state] = number
    assert page.per_call == expected_calls
