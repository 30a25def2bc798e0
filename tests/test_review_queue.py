"""The coordinator's review queue: GET /review/."""

import html
import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from irflow.extensions import db
from irflow.models import Faculty, User
from irflow.models.base import utcnow
from irflow.review.queries import review_queries

from .fixtures.factories import (
    ApplicationFactory,
    CallFactory,
    FacultyFactory,
    UserFactory,
)
from .fixtures.querycount import counting_statements
from .fixtures.review import BASE_TIME, PAGE_LINK, bulk_queue, make_application, queue, row_ids, state_counts, total


@pytest.fixture(scope="module", autouse=True)
def _detail_link(app):
    """The rows link to applications.detail, which is written elsewhere. Until it exists,
    url_for builds that one link here; nothing is routed, and the stub goes afterwards."""
    if "applications.detail" in app.view_functions:
        yield
        return

    def build_detail_link(error, endpoint, values):
        return f"/applications/{values['id']}" if endpoint == "applications.detail" else None

    app.url_build_error_handlers.append(build_detail_link)
    yield
    app.url_build_error_handlers.remove(build_detail_link)


@pytest.fixture
def two_faculties():
    """Faculties A and B with one call; in each a submitted, an eligible and a draft."""
    call = CallFactory(places=[1])
    faculty_a, faculty_b = FacultyFactory(name="Faculty of Physics"), FacultyFactory(name="Faculty of Law")
    rows = {
        "a_submitted": make_application(call, faculty_a, "submitted", minutes=1),
        "a_eligible": make_application(call, faculty_a, "eligible", minutes=2),
        "a_draft": make_application(call, faculty_a, "draft"),
        "b_submitted": make_application(call, faculty_b, "submitted", minutes=3),
        "b_eligible": make_application(call, faculty_b, "eligible", minutes=4),
        "b_draft": make_application(call, faculty_b, "draft"),
    }
    return faculty_a, faculty_b, call, rows


def ids(rows, *names):
    return [rows[name].id for name in names]


# --- who may see the queue, and what ----------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get("/review/")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/login"


@pytest.mark.parametrize("kind", ["applicant", "examiner"])
def test_applicants_and_examiners_are_refused(client, login_as, two_faculties, kind):
    faculty_a, _, call, rows = two_faculties
    if kind == "applicant":
        user = rows["a_submitted"].applicant
    else:
        user = UserFactory(roles=["examiner"])
        call.examiners = [user]
        db.session.commit()
    assert login_as(user).get("/review/").status_code == 403


def test_deactivated_coordinator_is_logged_out(client, login_as, two_faculties):
    faculty_a, *_ = two_faculties
    coordinator = UserFactory(coordinates=[faculty_a], active=False)
    assert login_as(coordinator).get("/review/").status_code == 302


def test_coordinator_sees_only_their_faculties_and_no_drafts(client, login_as, two_faculties):
    faculty_a, faculty_b, _, rows = two_faculties
    third = FacultyFactory()
    make_application(rows["a_submitted"].call, third, "submitted", minutes=9)
    login_as(UserFactory(coordinates=[faculty_a]))

    response = queue(client)
    assert row_ids(response) == ids(rows, "a_submitted", "a_eligible")
    assert total(response) == 2
    page = response.get_data(as_text=True)
    assert "Faculty of Law" not in page  # neither a row nor a filter choice of faculty B


def test_coordinator_does_not_review_their_own_application_of_another_faculty(client, login_as, two_faculties):
    faculty_a, faculty_b, call, rows = two_faculties
    coordinator = UserFactory(faculty=faculty_b, coordinates=[faculty_a])
    own = ApplicationFactory(
        call=call, applicant=coordinator, faculty=faculty_b, state="submitted", submitted_at=BASE_TIME, hosts=[]
    )
    login_as(coordinator)
    assert own.id not in row_ids(queue(client))


def test_coordinator_of_two_faculties_sees_both(client, login_as, two_faculties):
    faculty_a, faculty_b, _, rows = two_faculties
    login_as(UserFactory(coordinates=[faculty_a, faculty_b]))
    assert row_ids(queue(client)) == ids(rows, "a_submitted", "a_eligible", "b_submitted", "b_eligible")


def test_coordinator_without_faculties_sees_nothing(client, login_as, two_faculties):
    login_as(UserFactory(roles=["coordinator"]))
    response = queue(client)
    assert row_ids(response) == []
    assert total(response) == 0


@pytest.mark.parametrize("role", ["head", "admin"])
def test_head_and_admin_see_all_but_drafts(client, login_as, two_faculties, role):
    _, _, call, rows = two_faculties
    without_faculty = make_application(call, None, "tested", minutes=5)
    login_as(UserFactory(roles=[role]))
    assert row_ids(queue(client)) == ids(rows, "a_submitted", "a_eligible", "b_submitted", "b_eligible") + [
        without_faculty.id
    ]


def test_a_row_shows_the_application(client, login_as):
    call = CallFactory(places=[1], title="Erasmus+ KA171 Bochum")
    faculty = FacultyFactory(name="Faculty of Physics")
    application = make_application(
        call,
        faculty,
        "changes_requested",
        latin="KARIMOV ALISHER",
        native="Каримов Алишер",
        category="master",
        changes_due_at=utcnow() + timedelta(days=3),
    )
    late = make_application(call, faculty, "changes_requested", minutes=1, changes_due_at=utcnow() - timedelta(hours=1))
    login_as(UserFactory(coordinates=[faculty]))

    page = queue(client).get_data(as_text=True)

    def row_of(shown):
        row = page[page.index(f'<tr data-application="{shown.id}"') :]
        return row[: row.index("</tr>")]

    row = row_of(application)
    # The applicant's name is the link; it carries the queue along (here: no filters).
    assert f'<a href="/applications/{application.id}?queue=">KARIMOV ALISHER</a>' in row
    for text in (
        "KARIMOV ALISHER",
        "Каримов Алишер",
        "Master candidate",
        "Faculty of Physics",
        "Erasmus+ KA171 Bochum",
        "Changes requested",
        "due ",
    ):
        assert html.escape(text, quote=False) in row, text
    assert "overdue" not in row
    assert "overdue since" in row_of(late)


# --- filters, search, sorting, pages, counts ---------------------------------------------


def test_filter_by_call(client, login_as, two_faculties):
    faculty_a, _, _, rows = two_faculties
    other_call = CallFactory(places=[1])
    other = make_application(other_call, faculty_a, "submitted", minutes=7)
    login_as(UserFactory(roles=["head"]))
    assert row_ids(queue(client, call=other_call.id)) == [other.id]
    assert row_ids(queue(client, call=rows["a_submitted"].call_id)) == ids(
        rows, "a_submitted", "a_eligible", "b_submitted", "b_eligible"
    )


def test_filter_by_state(client, login_as, two_faculties):
    _, _, _, rows = two_faculties
    login_as(UserFactory(roles=["head"]))
    assert row_ids(queue(client, state="eligible")) == ids(rows, "a_eligible", "b_eligible")


def test_filter_by_faculty(client, login_as, two_faculties):
    faculty_a, faculty_b, _, rows = two_faculties
    login_as(UserFactory(roles=["head"]))
    assert row_ids(queue(client, faculty=faculty_b.id)) == ids(rows, "b_submitted", "b_eligible")
    login_as(UserFactory(coordinates=[faculty_a, faculty_b]))
    assert row_ids(queue(client, faculty=faculty_a.id)) == ids(rows, "a_submitted", "a_eligible")


def test_filters_combine(client, login_as, two_faculties):
    _, faculty_b, call, rows = two_faculties
    login_as(UserFactory(roles=["head"]))
    assert row_ids(queue(client, faculty=faculty_b.id, state="submitted", call=call.id)) == ids(rows, "b_submitted")


SEARCHES = [
    ("karimov", ["karimov", "karimova"]),  # Latin name, any case
    ("Alisher", ["karimov"]),
    ("ALISHER KARIMOV", []),  # a substring, not words in any order
    ("каримова", ["karimova"]),  # native name typed in lower case
    ("КАРИМОВ АЛИШЕР", ["karimov"]),  # ... and in upper case
    ("раҳимов", ["rahimov"]),  # Tajik letters
    ("nodira@KHUJAND", ["karimova"]),  # e-mail
    ("  dilshod  ", ["rahimov"]),  # surrounding spaces
    ("%", []),  # LIKE wildcards are literal
    ("_", []),
    ("nobody", []),
    ("12345678901234567890", []),  # a number beyond any id
]


def test_search_by_name_or_email(client, login_as, subtests):
    call, faculty = CallFactory(places=[1]), FacultyFactory()
    rows = {
        "karimov": make_application(
            call, faculty, latin="KARIMOV ALISHER", native="Каримов Алишер", email="alisher@example.org", minutes=1
        ),
        "karimova": make_application(
            call, faculty, latin="KARIMOVA NODIRA", native="Каримова Нодира", email="nodira@khujand.tj", minutes=2
        ),
        "rahimov": make_application(
            call, faculty, latin="RAHIMOV DILSHOD", native="Раҳимов Дилшод", email="dilshod@example.org", minutes=3
        ),
    }
    login_as(UserFactory(coordinates=[faculty]))
    for text, expected in SEARCHES:
        with subtests.test(q=text):
            assert row_ids(queue(client, q=text)) == ids(rows, *expected)


def test_search_by_application_number(client, login_as, two_faculties):
    _, _, _, rows = two_faculties
    login_as(UserFactory(roles=["head"]))
    assert row_ids(queue(client, q=f"#{rows['b_eligible'].id}")) == ids(rows, "b_eligible")
    # A coordinator cannot reach another faculty's application by its number.
    login_as(UserFactory(coordinates=[rows["a_submitted"].faculty]))
    assert row_ids(queue(client, q=str(rows["b_eligible"].id))) == []
    assert row_ids(queue(client, q=str(rows["a_eligible"].id))) == ids(rows, "a_eligible")


@pytest.fixture
def sortable():
    """Three applications that each sort key puts in a different order."""
    faculty = FacultyFactory()
    beta, alpha = CallFactory(places=[1], title="Beta call"), CallFactory(places=[1], title="Alpha call")
    rows = {
        "first": make_application(beta, faculty, "tested", minutes=1, latin="CHARLIE", total_score=Decimal("61.5")),
        "second": make_application(alpha, faculty, "submitted", minutes=2, latin="ALPHA"),
        "third": make_application(alpha, faculty, "eligible", minutes=3, latin="BRAVO"),
        "fourth": make_application(beta, faculty, "tested", minutes=4, latin="DELTA", total_score=Decimal("88")),
    }
    return faculty, rows


SORTS = [
    ({}, ["first", "second", "third", "fourth"]),  # the queue: oldest first
    ({"sort": "submitted", "direction": "desc"}, ["fourth", "third", "second", "first"]),
    ({"sort": "name"}, ["second", "third", "first", "fourth"]),
    ({"sort": "name", "direction": "desc"}, ["fourth", "first", "third", "second"]),
    ({"sort": "state"}, ["second", "third", "first", "fourth"]),  # workflow order, then queue order
    ({"sort": "state", "direction": "desc"}, ["first", "fourth", "third", "second"]),
    ({"sort": "call"}, ["second", "third", "first", "fourth"]),
    ({"sort": "call", "direction": "desc"}, ["first", "fourth", "second", "third"]),
    ({"sort": "score", "direction": "desc"}, ["fourth", "first", "second", "third"]),  # unscored last
    ({"sort": "score"}, ["first", "fourth", "second", "third"]),
]


def test_sorting(client, login_as, sortable, subtests):
    faculty, rows = sortable
    login_as(UserFactory(coordinates=[faculty]))
    for args, expected in SORTS:
        with subtests.test(**args):
            assert row_ids(queue(client, **args)) == ids(rows, *expected)


def test_sort_headers_toggle_the_direction_and_keep_the_filters(client, login_as, sortable):
    faculty, _ = sortable
    login_as(UserFactory(coordinates=[faculty]))
    page = queue(client, sort="name", state="tested").get_data(as_text=True)
    links = {
        tuple(sorted((key, tuple(value)) for key, value in parse_qs(urlsplit(html.unescape(href)).query).items()))
        for href in re.findall(r'href="(/review/\?[^"]*sort=[^"]*)"', page)
    }
    assert (("direction", ("desc",)), ("sort", ("name",)), ("state", ("tested",))) in links
    assert (("direction", ("asc",)), ("sort", ("call",)), ("state", ("tested",))) in links


def test_pages_of_fifty_keep_the_filters(client, login_as):
    faculty_ids, call_ids = bulk_queue(51)
    other_call = CallFactory(places=[1])
    make_application(other_call, db.session.get(Faculty, faculty_ids[0]), minutes=-10)
    login_as(UserFactory(roles=["head"]))

    first = queue(client, call=call_ids[0], sort="name")
    assert len(row_ids(first)) == 50
    assert total(first) == 51
    links = {html.unescape(href) for href in PAGE_LINK.findall(first.get_data(as_text=True))}
    page_two = [href for href in links if parse_qs(urlsplit(href).query).get("page") == ["2"]]
    assert page_two, links
    assert parse_qs(urlsplit(page_two[0]).query) == {"call": [str(call_ids[0])], "sort": ["name"], "page": ["2"]}

    second = client.get(page_two[0])
    assert second.status_code == 200
    assert len(row_ids(second)) == 1
    assert not set(row_ids(first)) & set(row_ids(second))

    assert row_ids(queue(client, call=call_ids[0], page=3)) == []  # past the end: empty, not an error


def test_a_search_is_paged_as_found_and_not_counted(client, login_as):
    """A search reads one row more than its page to know whether another follows: no state
    counts, the total told once the last page is reached, every match on some page once."""
    _, call_ids = bulk_queue(53)  # applicants "BULK <tag> 0000" ...
    login_as(UserFactory(roles=["head"]))

    with counting_statements() as counted:
        first = queue(client, q="bulk")
    assert not any("count(" in statement.lower() for statement in counted)
    assert len(row_ids(first)) == 50
    assert state_counts(first) == {}  # no pills with numbers during a search
    page = first.get_data(as_text=True)
    assert "Applications 1 to 50 of those found; more follow." in html.unescape(page)
    links = {html.unescape(href) for href in PAGE_LINK.findall(page)}
    page_two = [href for href in links if parse_qs(urlsplit(href).query).get("page") == ["2"]]
    assert page_two, links

    second = client.get(page_two[0])
    assert total(second) == 53  # the last page: the total is known
    assert len(set(row_ids(first)) | set(row_ids(second))) == 53

    # A search that fits on a page is counted exactly; past the last page goes back to the first.
    name = db.session.scalar(sa.select(User.full_name_latin).where(User.email.like("bulk-%-7@example.org")))
    narrow = queue(client, q=name.lower(), call=call_ids[0])
    assert total(narrow) == 1 and len(row_ids(narrow)) == 1
    beyond = client.get("/review/", query_string={"q": "bulk", "page": 9})
    assert beyond.status_code == 302 and "page=" not in beyond.headers["Location"]


def test_counts_per_state_ignore_the_state_filter(client, login_as, two_faculties):
    faculty_a, _, call, rows = two_faculties
    make_application(call, faculty_a, "changes_requested", minutes=6)
    other_call = CallFactory(places=[1])
    make_application(other_call, faculty_a, "eligible", minutes=8)
    login_as(UserFactory(roles=["head"]))

    everything = queue(client)
    assert state_counts(everything) == {"all": 6, "submitted": 2, "changes_requested": 1, "eligible": 3}
    assert total(everything) == 6

    only_eligible = queue(client, state="eligible")
    assert state_counts(only_eligible) == state_counts(everything)
    assert total(only_eligible) == 3

    one_call = queue(client, call=call.id, state="submitted")
    assert state_counts(one_call) == {"all": 5, "submitted": 2, "changes_requested": 1, "eligible": 2}
    assert total(one_call) == 2
    page = one_call.get_data(as_text=True)
    # The badges set the state filter and keep the others.
    link = re.search(r'href="([^"]+)">Eligible', page).group(1)
    assert parse_qs(urlsplit(html.unescape(link)).query) == {"call": [str(call.id)], "state": ["eligible"]}


def test_coordinator_counts_stay_in_scope(client, login_as, two_faculties):
    faculty_a, faculty_b, _, rows = two_faculties
    login_as(UserFactory(coordinates=[faculty_a]))
    response = queue(client, faculty=faculty_b.id)
    assert state_counts(response) == {"all": 2, "submitted": 1, "eligible": 1}


# --- scope cannot be widened; bad input is not an error ----------------------------------


def test_coordinator_cannot_widen_the_scope_with_another_faculty(client, login_as, two_faculties):
    faculty_a, faculty_b, call, rows = two_faculties
    login_as(UserFactory(coordinates=[faculty_a]))
    response = queue(client, faculty=faculty_b.id)
    assert not set(row_ids(response)) & set(ids(rows, "b_submitted", "b_eligible"))
    assert "were ignored" in response.get_data(as_text=True)
    assert not set(row_ids(queue(client, faculty=faculty_b.id, q="USER"))) & set(ids(rows, "b_submitted", "b_eligible"))


def test_coordinator_cannot_pick_a_call_outside_their_scope(client, login_as, two_faculties):
    faculty_a, faculty_b, _, rows = two_faculties
    other_call = CallFactory(places=[1])
    foreign = make_application(other_call, faculty_b, "submitted", minutes=7)
    login_as(UserFactory(coordinates=[faculty_a]))
    assert foreign.id not in row_ids(queue(client, call=other_call.id))


def test_queries_keep_the_scope_whatever_the_filters(two_faculties):
    faculty_a, faculty_b, _, rows = two_faculties
    coordinator = UserFactory(coordinates=[faculty_a])
    page_query, counts_query = review_queries(coordinator, faculty_id=faculty_b.id)
    assert db.session.scalars(page_query).unique().all() == []
    assert db.session.execute(counts_query).all() == []
    page_query, _ = review_queries(coordinator, faculty_id=faculty_a.id)
    assert [application.id for application in db.session.scalars(page_query).unique()] == ids(
        rows, "a_submitted", "a_eligible"
    )
    with pytest.raises(ValueError):
        review_queries(coordinator, state="draft")
    with pytest.raises(ValueError):
        review_queries(coordinator, sort="id; drop table applications")


INVALID_FILTERS = [
    {"state": "bogus"},
    {"state": "draft"},
    {"faculty": "abc"},
    {"faculty": "-1"},
    {"call": "1.5"},
    {"call": "999999999999999999999999"},
    {"page": "-1"},
    {"page": "0"},
    {"page": "abc"},
    {"page": "99999999999999999999"},
    {"sort": "drop table"},
    {"sort": "id; DROP TABLE applications"},
    {"direction": "sideways"},
    {"q": "x" * 500},
    {"q": "\x00"},
]


def test_invalid_filter_values_are_ignored(client, login_as, two_faculties, subtests):
    faculty_a, _, _, rows = two_faculties
    login_as(UserFactory(coordinates=[faculty_a]))
    expected = ids(rows, "a_submitted", "a_eligible")
    for args in INVALID_FILTERS:
        with subtests.test(**args):
            response = queue(client, **args)
            assert row_ids(response) == expected
            assert "were ignored" in response.get_data(as_text=True)


# --- a constant number of queries ----------------------------------------------------------


@pytest.mark.parametrize("role", ["head", "coordinator"])
def test_query_count_does_not_grow_with_the_rows(client, login_as, role):
    """Each row has its own applicant, and rows spread over many faculties and calls, so a
    relationship loaded row by row would show as more statements for more rows."""

    def statements_for(count, spread):
        faculty_ids, _ = bulk_queue(count, faculty_count=spread, call_count=spread)
        if role == "head":
            reviewer = UserFactory(roles=["head"])
        else:
            reviewer = UserFactory(
                coordinates=db.session.scalars(sa.select(Faculty).where(Faculty.id.in_(faculty_ids))).all()
            )
        login_as(reviewer)
        queue(client)  # warm up: first-request work is not what is measured
        with counting_statements() as statements:
            response = queue(client)
        return statements, response

    small, small_page = statements_for(5, 5)
    assert len(row_ids(small_page)) == 5
    # A new set of faculties and calls for the coordinator, and everything for the head.
    large, large_page = statements_for(500, 25)
    assert len(row_ids(large_page)) == 50
    assert total(large_page) == (505 if role == "head" else 500)
    assert len(small) == len(large), "\n\n".join(large)
