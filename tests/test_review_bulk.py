"""The review queue's work on many applications at once (POST /review/bulk), and the way
from the queue through the applications one after the other ("then next")."""

import html
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import sqlalchemy as sa

from irflow.extensions import db
from irflow.models import Application, Faculty, TransitionLog
from irflow.workflow import fire

from .fixtures.factories import CallFactory, FacultyFactory, UserFactory
from .fixtures.querycount import counting_statements
from .fixtures.review import bulk_queue, make_application, queue, row_ids
from .fixtures.web import CSRF_INPUT

CHECKBOX = re.compile(r'<input[^>]*type="checkbox" name="row"[^>]*id="row-(\d+)" value="([^"]+)"')
RESULT = re.compile(r'<li data-result="(\d+)" data-done="(yes|no)">(.*?)</li>', re.S)


def csrf_token(page):
    text = page if isinstance(page, str) else page.get_data(as_text=True)
    return CSRF_INPUT.search(text).group(1)


def checkbox_values(response):
    """{application id: the value its checkbox posts} of a queue page."""
    return {int(number): value for number, value in CHECKBOX.findall(response.get_data(as_text=True))}


def results(response):
    """{application id: (done, the text of its line)} of the results shown after a bulk action."""
    return {
        int(number): (done == "yes", " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split()))
        for number, done, text in RESULT.findall(response.get_data(as_text=True))
    }


def post_bulk(client, rows, action, comment="", **filters):
    page = client.get("/review/", query_string=filters)
    return client.post(
        "/review/bulk?" + urlencode(filters),
        data={"csrf_token": csrf_token(page), "row": rows, "action": action, "comment": comment},
    )


def reload(application):
    db.session.expire_all()
    return db.session.get(Application, application.id)


@pytest.fixture
def mixed():
    """A coordinator of faculty A, and applications A1, A2 and A3 submitted, A4 already
    eligible, and B1 submitted in faculty B, which the coordinator does not coordinate."""
    call = CallFactory(places=[1])
    faculty_a, faculty_b = FacultyFactory(), FacultyFactory()
    coordinator = UserFactory(coordinates=[faculty_a])
    rows = {
        "a1": make_application(call, faculty_a, "submitted", minutes=1, latin="ALPHA ONE"),
        "a2": make_application(call, faculty_a, "submitted", minutes=2, latin="ALPHA TWO"),
        "a3": make_application(call, faculty_a, "submitted", minutes=3, latin="ALPHA THREE"),
        "a4": make_application(call, faculty_a, "eligible", minutes=4, latin="ALPHA FOUR"),
        "b1": make_application(call, faculty_b, "submitted", minutes=5, latin="BRAVO ONE"),
    }
    return coordinator, rows


def test_each_row_has_a_labelled_checkbox_posting_its_version(client, login_as, mixed):
    coordinator, rows = mixed
    login_as(coordinator)
    response = queue(client)
    page = response.get_data(as_text=True)
    values = checkbox_values(response)
    assert set(values) == {rows[name].id for name in ("a1", "a2", "a3", "a4")}
    for name in ("a1", "a4"):
        application = rows[name]
        assert values[application.id] == f"{application.id}:{application.version}"
        label = f'<label class="visually-hidden" for="row-{application.id}">'
        assert f"{label}Tick {application.applicant.full_name_latin}</label>" in page
    assert 'action="/review/bulk"' in page


def test_the_head_who_approves_nothing_gets_no_checkboxes(client, login_as, mixed):
    login_as(UserFactory(roles=["head"]))
    response = queue(client)
    assert len(row_ids(response)) == 5
    assert checkbox_values(response) == {}
    assert "/review/bulk" not in response.get_data(as_text=True)


def test_bulk_approval_does_each_row_it_can_and_says_why_not_for_the_others(client, login_as, mixed):
    coordinator, rows = mixed
    login_as(coordinator)
    page = queue(client)
    values = checkbox_values(page)
    # A3 changes after the page was shown (another coordinator's edit): its version moves on.
    a3 = rows["a3"]
    a3.motivation = "Edited meanwhile."
    db.session.commit()
    posted = [values[rows[name].id] for name in ("a1", "a2", "a3", "a4")]
    posted.append(f"{rows['b1'].id}:{rows['b1'].version}")  # not on the page: typed into the form

    response = post_bulk(client, posted, "approve_eligibility", state="submitted")

    # Some refused, none failing the request: a redirect to the queue with its filter, results there.
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert (target.path, parse_qs(target.query), target.fragment) == (
        "/review/",
        {"state": ["submitted"]},
        "bulk-results",
    )
    assert {name: reload(application).state for name, application in rows.items()} == {
        "a1": "eligible",
        "a2": "eligible",
        "a3": "submitted",
        "a4": "eligible",
        "b1": "submitted",
    }
    logs = db.session.execute(
        sa.select(TransitionLog.application_id, TransitionLog.actor_id).where(
            TransitionLog.trigger == "approve_eligibility"
        )
    ).all()
    assert sorted(logs) == sorted([(rows["a1"].id, coordinator.id), (rows["a2"].id, coordinator.id)])

    shown = client.get(response.headers["Location"])
    assert shown.status_code == 200
    lines = results(shown)
    assert list(lines) == [rows[name].id for name in ("a1", "a2", "a3", "a4", "b1")]
    assert lines[rows["a1"].id] == (True, "ALPHA ONE: done")
    assert lines[rows["a2"].id] == (True, "ALPHA TWO: done")
    assert lines[rows["a3"].id][0] is False
    assert "changed by someone else" in lines[rows["a3"].id][1]
    assert lines[rows["a4"].id][0] is False
    assert "not possible while the application is “Eligible”" in lines[rows["a4"].id][1]
    # Out of reach: refused, and not even the name is told.
    assert lines[rows["b1"].id] == (False, f"Application {rows['b1'].id}: refused — Not in your review queue.")
    assert "BRAVO ONE" not in shown.get_data(as_text=True)
    assert "Approve eligibility: done for 2, refused for 3." in shown.get_data(as_text=True)
    # Shown once: the next visit of the queue has no results.
    assert results(queue(client)) == {}


def test_request_changes_in_bulk_needs_the_comment(client, login_as, mixed):
    coordinator, rows = mixed
    login_as(coordinator)
    values = checkbox_values(queue(client))
    ticked = [values[rows["a1"].id], values[rows["a2"].id]]

    refused = post_bulk(client, ticked, "request_changes", comment="   ")
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "Write what the applicants should change." in page
    assert 'aria-invalid="true"' in page
    # The ticks are kept for the second try.
    assert set(re.findall(r'id="row-(\d+)" value="[^"]+"\s+checked', page)) == {str(rows["a1"].id), str(rows["a2"].id)}
    assert {reload(rows[name]).state for name in ("a1", "a2")} == {"submitted"}

    done = post_bulk(client, ticked, "request_changes", comment="Please add the transcript.")
    assert done.status_code == 302
    assert {reload(rows[name]).state for name in ("a1", "a2")} == {"changes_requested"}
    comments = db.session.scalars(
        sa.select(TransitionLog.comment).where(TransitionLog.trigger == "request_changes")
    ).all()
    assert comments == ["Please add the transcript."] * 2


def test_nothing_ticked_is_told_next_to_the_rows(client, login_as, mixed):
    coordinator, _ = mixed
    login_as(coordinator)
    response = post_bulk(client, [], "approve_eligibility")
    assert response.status_code == 400
    assert "Tick at least one application." in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["abc", "1;DROP", "-5:1", "99999999999:1"])
def test_garbled_rows_are_refused_as_input_not_as_an_error(client, login_as, mixed, value):
    coordinator, rows = mixed
    login_as(coordinator)
    response = post_bulk(client, [value], "approve_eligibility")
    assert response.status_code == 400
    assert "could not be read" in response.get_data(as_text=True)
    assert reload(rows["a1"]).state == "submitted"


def test_a_bulk_post_needs_the_csrf_token_and_a_coordinator(client, login_as, mixed):
    coordinator, rows = mixed
    row = f"{rows['a1'].id}:{rows['a1'].version}"
    login_as(coordinator)
    assert client.post("/review/bulk", data={"row": [row], "action": "approve_eligibility"}).status_code == 400
    login_as(UserFactory(roles=["head"]))
    assert post_bulk(client, [row], "approve_eligibility").status_code == 403
    assert reload(rows["a1"]).state == "submitted"


def test_query_count_of_the_queue_with_results_does_not_grow_with_the_rows(client, login_as):
    """5 rows or 50, ticked and approved: the queue that shows the results runs as many statements."""

    def statements_for(count):
        faculty_ids, _ = bulk_queue(count)
        coordinator = UserFactory(coordinates=[db.session.get(Faculty, faculty_ids[0])])
        login_as(coordinator)
        values = list(checkbox_values(queue(client)).values())
        assert len(values) == count
        response = post_bulk(client, values, "approve_eligibility")
        assert response.status_code == 302
        with counting_statements() as statements:
            shown = client.get(response.headers["Location"])
        assert len(results(shown)) == count
        assert all(done for done, _ in results(shown).values())
        return statements

    small, large = statements_for(5), statements_for(50)
    assert len(small) == len(large), "\n\n".join(large)


# --- from the queue through the applications --------------------------------------------


@pytest.fixture
def by_name():
    """Four submitted applications of one faculty whose name order differs from the queue order,
    and one eligible, which the filter state=submitted leaves out."""
    call, faculty = CallFactory(places=[1]), FacultyFactory()
    rows = {
        "delta": make_application(call, faculty, "submitted", minutes=1, latin="DELTA"),
        "bravo": make_application(call, faculty, "submitted", minutes=2, latin="BRAVO"),
        "alpha": make_application(call, faculty, "submitted", minutes=3, latin="ALPHA"),
        "charlie": make_application(call, faculty, "eligible", minutes=4, latin="CHARLIE"),
        "echo": make_application(call, faculty, "submitted", minutes=5, latin="ECHO"),
    }
    return UserFactory(coordinates=[faculty]), rows


QUEUE = urlencode({"state": "submitted", "sort": "name"})


def detail(client, application, queue_args=QUEUE):
    response = client.get(f"/applications/{application.id}", query_string={"queue": queue_args})
    assert response.status_code == 200
    return response


def test_the_name_links_to_the_application_with_the_queue(client, login_as, by_name):
    coordinator, rows = by_name
    login_as(coordinator)
    page = queue(client, state="submitted", sort="name", page=1).get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)">ALPHA</a>', page).group(1)
    target = urlsplit(html.unescape(link))
    assert target.path == f"/applications/{rows['alpha'].id}"
    assert parse_qs(parse_qs(target.query)["queue"][0]) == {"state": ["submitted"], "sort": ["name"]}


def test_the_application_links_back_to_the_filtered_queue_and_on(client, login_as, by_name):
    coordinator, rows = by_name
    login_as(coordinator)
    page = detail(client, rows["alpha"]).get_data(as_text=True)
    back = html.unescape(re.search(r'href="([^"]+)" id="back-to-queue"', page).group(1))
    assert urlsplit(back).path == "/review/"
    assert parse_qs(urlsplit(back).query) == {"state": ["submitted"], "sort": ["name"]}

    following = client.get(html.unescape(re.search(r'href="([^"]+)" id="next-in-queue"', page).group(1)))
    assert following.status_code == 302
    assert (
        following.headers["Location"]
        == f"/applications/{rows['bravo'].id}?queue={QUEUE.replace('=', '%3D').replace('&', '%26')}"
    )


def test_approve_then_next_goes_to_the_next_in_the_filtered_queue_order(client, login_as, by_name):
    coordinator, rows = by_name
    login_as(coordinator)
    # In name order among the submitted: ALPHA, BRAVO, DELTA, ECHO (CHARLIE is eligible: left out).
    expected = ["bravo", "delta", "echo"]
    current = rows["alpha"]
    for name in expected:
        page = detail(client, current).get_data(as_text=True)
        action = html.unescape(
            re.search(r'formaction="([^"]+)" id="action-approve_eligibility-and-next"', page).group(1)
        )
        response = client.post(action, data={"csrf_token": csrf_token(page), "version": current.version, "comment": ""})
        assert response.status_code == 302, response.get_data(as_text=True)
        assert reload(current).state == "eligible"
        target = urlsplit(response.headers["Location"])
        assert target.path == f"/applications/{rows[name].id}", (name, response.headers["Location"])
        assert parse_qs(parse_qs(target.query)["queue"][0]) == {"state": ["submitted"], "sort": ["name"]}
        current = rows[name]

    # The last one: done, and back to the queue with its filters.
    page = detail(client, current).get_data(as_text=True)
    action = html.unescape(re.search(r'formaction="([^"]+)" id="action-approve_eligibility-and-next"', page).group(1))
    response = client.post(action, data={"csrf_token": csrf_token(page), "version": current.version})
    assert reload(current).state == "eligible"
    target = urlsplit(response.headers["Location"])
    assert (target.path, parse_qs(target.query)) == ("/review/", {"state": ["submitted"], "sort": ["name"]})
    assert "last application in the queue" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_refused_action_then_next_stays_on_the_application(client, login_as, by_name):
    coordinator, rows = by_name
    login_as(coordinator)
    current = rows["alpha"]
    page = detail(client, current).get_data(as_text=True)
    action = html.unescape(re.search(r'formaction="([^"]+)" id="action-approve_eligibility-and-next"', page).group(1))
    fire(reload(current), "request_changes", coordinator, comment="Meanwhile.")
    db.session.commit()
    response = client.post(action, data={"csrf_token": csrf_token(page), "version": current.version})
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == f"/applications/{current.id}"
    assert "queue" in parse_qs(target.query)
    assert reload(current).state == "changes_requested"


@pytest.mark.parametrize(
    "queue_args",
    ["//evil.example/x", "https://evil.example/", "state=submitted#x", "q=\x01", "x" * 2000],
)
def test_a_queue_that_is_no_query_string_of_the_queue_is_ignored(client, login_as, by_name, queue_args):
    coordinator, rows = by_name
    login_as(coordinator)
    page = detail(client, rows["alpha"], queue_args).get_data(as_text=True)
    back = re.search(r'href="([^"]+)" id="back-to-queue"', page)
    # No link at all, or one to the whole queue: what is not the queue's is dropped.
    assert back is None or back.group(1) == "/review/"
    assert not re.search(r'(href|action)="[^"]*evil\.example', page)


def test_unknown_arguments_in_the_queue_are_dropped(client, login_as, by_name):
    coordinator, rows = by_name
    login_as(coordinator)
    page = detail(client, rows["alpha"], "state=submitted&next=//evil.example&sort=name").get_data(as_text=True)
    back = html.unescape(re.search(r'href="([^"]+)" id="back-to-queue"', page).group(1))
    assert parse_qs(urlsplit(back).query) == {"state": ["submitted"], "sort": ["name"]}


def test_the_owner_gets_no_queue_links(client, login_as, by_name):
    _, rows = by_name
    login_as(rows["alpha"].applicant)
    page = detail(client, rows["alpha"]).get_data(as_text=True)
    assert 'id="back-to-queue"' not in page
    assert "-and-next" not in page
