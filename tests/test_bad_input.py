"""Bad input never gives a 500, on SQLite as on PostgreSQL.

PostgreSQL refuses a NUL character in text and numbers beyond its 4-byte `integer`, where
SQLite stores either without a word: so these tests prove most on PostgreSQL
(TEST_DATABASE_URL). Every route of the app is fuzzed: ids beyond the integer range in the
URL, NUL characters and huge numbers in every query parameter the list pages read and in
every field any form posts, as a user holding every role and as an anonymous visitor.
"""

import re

import pytest
from sqlalchemy.exc import DataError
from werkzeug.routing import IntegerConverter
from wtforms.fields.core import UnboundField

from irflow import forms as base_forms
from irflow.bad_input import MAX_PAGE, StorableIntegerConverter
from irflow.extensions import db
from irflow.forms import MAX_INTEGER
from irflow.models import Agreement, Partner
from irflow.workflow.states import TRANSITIONS

from .fixtures.factories import FacultyFactory, ProgramFactory, UserFactory, add_document, application_in
from .fixtures.web import client_for

NUL = "bad\x00value"
HUGE = str(MAX_INTEGER + 1)
HUGER = "9" * 30
NOT_ALLOWED = "This field contains a character that is not allowed."

# What the list pages read from the query string.
QUERY_PARAMETERS = (
    "q",
    "page",
    "per_page",
    "country",
    "kind",
    "role",
    "status",
    "call",
    "faculty",
    "state",
    "program",
    "mobility_type",
    "year",
    "from",
    "to",
    "sort",
    "next",
    "category",
)
# Fields the routes read from the posted form without a form class.
RAW_FIELDS = ("comment", "name", "next", "locale", "step", "application", "date", "version", "trigger")


def all_subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from all_subclasses(subclass)


def form_field_names():
    """The name of every field of every form of the app."""
    names = set(RAW_FIELDS)
    for base in (base_forms.FlaskForm, base_forms.Form):
        for form_class in all_subclasses(base):
            for klass in form_class.__mro__:
                names.update(name for name, value in vars(klass).items() if isinstance(value, UnboundField))
    return names


def test_every_form_of_the_app_derives_from_the_safe_bases():
    import irflow.i18n

    offenders = [
        form_class
        for base in (irflow.i18n.FlaskForm, irflow.i18n.Form)
        for form_class in all_subclasses(base)
        if not issubclass(form_class, (base_forms.FlaskForm, base_forms.Form))
    ]
    assert offenders == []
    assert {"email", "full_name_latin", "comment", "q", "name", "website"} <= form_field_names()


@pytest.fixture
def staff(app):
    """Every staff role, no application: enough for the lists and the forms of new rows."""
    faculty = FacultyFactory()
    return UserFactory(faculty=faculty, roles=["admin", "head", "examiner"], coordinates=[faculty])


@pytest.fixture
def world(app):
    """A user with every role, owner of applications in several states of calls it examines."""
    faculty = FacultyFactory()
    everyone = UserFactory(faculty=faculty, roles=["admin", "head", "examiner"], coordinates=[faculty])
    applications = [
        application_in(state, examiner=everyone, applicant=everyone)
        for state in ("draft", "submitted", "eligible", "selected", "returned")
    ]
    for application in applications:
        application.call.examiners = [everyone]
    partner = applications[0].call.places[0].partner
    db.session.add(Agreement(partner=partner, program=applications[0].call.program, title="Bilateral"))
    ProgramFactory()
    db.session.commit()
    document = add_document(applications[0], "cv")
    return {
        "user": everyone,
        "applications": applications,
        "calls": [a.call for a in applications],
        "ids": {
            "id": [a.id for a in applications],
            "call_id": [applications[0].call_id, applications[2].call_id],
            "user_id": [everyone.id],
            "document_id": [document.id],
            "partner_id": [p.id for p in db.session.scalars(db.select(Partner)).all()[:2]],
            "program_id": [applications[0].call.program_id],
            "agreement_id": [row.id for row in db.session.scalars(db.select(Agreement)).all()[:1]],
        },
    }


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            yield rule


def int_arguments(rule):
    return [name for name, converter in rule._converters.items() if isinstance(converter, IntegerConverter)]


def build(rule, values):
    return rule.build(values, append_unknown=False)[1]


def filled_urls(rule, world):
    """The rule's path for existing rows (one row per argument, several for the first)."""
    ids = world["ids"]
    arguments = list(rule.arguments)
    if not arguments:
        return [build(rule, {})]
    if "trigger" in arguments:
        return []  # fired per state below
    values = {}
    for name in arguments:
        if name == "year":
            values[name] = world["calls"][0].academic_year.replace("/", "-")
        elif ids.get(name):
            values[name] = ids[name][0]
        else:
            return []
    urls = [build(rule, values)]
    first = arguments[0]
    for other in ids.get(first, [])[1:]:
        urls.append(build(rule, {**values, first: other}))
    return urls


def assert_not_500(response, what):
    assert response.status_code < 500, f"{what}: {response.status_code}"


def token_of(client):
    return client.csrf_token()


def test_ids_beyond_the_integer_range_are_not_found(app, staff):
    client = client_for(app, staff)
    token = token_of(client)
    checked = 0
    for rule in routes(app):
        if not int_arguments(rule):
            continue
        for value in (HUGE, HUGER):
            path = re.sub(r"<int:\w+>", value, rule.rule)
            path = path.replace("<trigger>", "submit").replace("<year>", "2026-2027")
            # 405 where the same path is another rule's for the other method (Werkzeug
            # notes the method mismatch before the converter refuses the id).
            if "GET" in rule.methods:
                response = client.get(path)
                assert response.status_code in (404, 405), (path, response.status_code)
            if "POST" in rule.methods:
                response = client.post(path, data={"csrf_token": token})
                assert response.status_code in (404, 405), (path, response.status_code)
            checked += 1
    assert checked > 30


def test_the_largest_integer_still_routes(app, staff):
    converter = StorableIntegerConverter(app.url_map)
    assert converter.to_python(str(MAX_INTEGER)) == MAX_INTEGER
    client = client_for(app, staff)
    assert client.get(f"/applications/{MAX_INTEGER}").status_code == 404  # routed, no such row


def listing(response):
    """The page without what differs per request (form tokens, the address to come back to)."""
    return [
        line
        for line in response.get_data(as_text=True).splitlines()
        if 'name="csrf_token"' not in line and 'name="next"' not in line
    ]


def test_a_page_beyond_the_range_shows_the_first_page(app, staff):
    client = client_for(app, staff)
    for path in (
        "/admin/users",
        "/manage/partners",
        "/manage/calls",
        "/partners",
        "/applications/messages",
        "/review/",
    ):
        first = client.get(path)
        assert first.status_code == 200, path
        for page in (HUGE, HUGER, str(MAX_PAGE + 1), "-3", "x"):
            response = client.get(f"{path}?page={page}")
            assert response.status_code == 200, (path, page, response.status_code)
            if path != "/review/":  # the review queue tells the user the page was ignored
                assert listing(response) == listing(first), (path, page)


def test_nul_and_huge_numbers_in_query_strings(app, world):
    client = client_for(app, world["user"])
    anonymous = app.test_client()
    checked = 0
    for rule in routes(app):
        if "GET" not in rule.methods:
            continue
        for path in filled_urls(rule, world)[:1]:
            for visitor in (client, anonymous):
                for bad in (NUL, HUGER):
                    query = "&".join(f"{name}={bad}" for name in QUERY_PARAMETERS).replace("\x00", "%00")
                    assert_not_500(visitor.get(f"{path}?{query}"), f"GET {path} with {bad!r}")
                checked += 1
    assert checked > 40
    assert_not_500(client.get("/admin/users?q%00=x&q=%00"), "a NUL in a parameter's name")


def test_a_nul_in_the_user_search_is_ignored_and_the_user_told(app, world):
    client = client_for(app, world["user"])

    response = client.get("/admin/users?q=user%00&role=admin")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "were ignored: Name or e-mail" in page
    assert world["user"].email in page  # the role filter still applies, the search is dropped


def posted(field_names, value, world):
    data = dict.fromkeys(field_names, value)
    for application in world["applications"]:
        for prefix in ("version", "result", "place", "absent"):
            data[f"{prefix}-{application.id}"] = value
        for criterion in application.call.criteria:
            data[f"score-{application.id}-{criterion.id}"] = value
    data[f"version-{HUGER[:18]}"] = value
    data["application"] = [value, str(world["applications"][0].id)]
    for row in range(3):
        for name in ("partner", "places", "months", "criterion_id", "name", "source", "weight"):
            data[f"places-{row}-{name}"] = value
            data[f"criteria-{row}-{name}"] = value
    return data


def test_nul_and_huge_numbers_in_every_posted_field(app, world):
    names = form_field_names()
    client = client_for(app, world["user"])
    anonymous = app.test_client()
    tokens = {client: token_of(client), anonymous: token_of(anonymous)}
    checked = 0
    for rule in routes(app):
        if "POST" not in rule.methods or rule.endpoint == "auth.logout":
            continue
        visitor = anonymous if rule.endpoint.startswith("auth.") else client
        # NUL for the rows in every state (each state shows other forms), huge numbers for one.
        for number, path in enumerate(filled_urls(rule, world)):
            for bad in (NUL, HUGER) if number == 0 else (NUL,):
                response = visitor.post(path, data={**posted(names, bad, world), "csrf_token": tokens[visitor]})
                assert_not_500(response, f"POST {path} with {bad!r}")
                checked += 1
    assert checked > 50


def test_a_nul_in_a_field_is_a_field_error(app, staff):
    for path, field in [
        ("/auth/login", "email"),
        ("/auth/login", "password"),
        ("/auth/register", "email"),
        ("/auth/register", "full_name_latin"),
        ("/auth/register", "full_name_native"),
        ("/manage/programs/new", "name"),
        ("/manage/partners/new", "name"),
        ("/manage/partners/new", "city"),
    ]:
        visitor = app.test_client() if path.startswith("/auth/") else client_for(app, staff)

        response = visitor.post(path, data={field: NUL, "csrf_token": token_of(visitor)})

        assert response.status_code == 400, (path, field, response.status_code)
        assert NOT_ALLOWED in response.get_data(as_text=True), (path, field)


def test_a_nul_in_a_fired_comment_is_refused_and_changes_nothing(app, world):
    client = client_for(app, world["user"])
    token = token_of(client)
    checked = 0
    for application in world["applications"]:
        for transition in TRANSITIONS:
            if application.state not in transition.sources:
                continue
            state, version = application.state, application.version
            response = client.post(
                f"/applications/{application.id}/fire/{transition.trigger}",
                data={"csrf_token": token, "comment": NUL, "version": str(version)},
                follow_redirects=True,
            )
            assert_not_500(response, f"fire {transition.trigger}")
            assert NOT_ALLOWED in response.get_data(as_text=True)
            assert (application.state, application.version) == (state, version)
            checked += 1
    assert checked >= 8
    submitted = world["applications"][1]
    for bad in (HUGE, HUGER):
        response = client.post(
            f"/applications/{submitted.id}/fire/approve_eligibility", data={"csrf_token": token, "version": bad}
        )
        assert_not_500(response, f"fire with version {bad}")
        assert submitted.state == "submitted"


def test_a_value_the_database_still_refuses_is_a_400_not_a_500(app, caplog):
    """The last resort, for a way in the fuzzing above does not know."""
    with app.test_request_context("/"):
        error = DataError("SELECT 1", {}, ValueError("integer out of range"))

        response = app.make_response(app.handle_user_exception(error))

    assert response.status_code == 400
    assert "The request could not be understood." in response.get_data(as_text=True)
    assert "Input refused by the database" in caplog.text
