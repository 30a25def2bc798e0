"""The selection page for thousands of applicants, over HTTP: the summary at the top, the
filters, a confirmation that posts only the rows changed (a field not posted means "as
proposed"), and a number of statements that does not grow with the applicants."""

from decimal import Decimal

from irflow.extensions import db
from irflow.models import Application, Score

from .fixtures.factories import CallFactory, UserFactory, one_commit
from .fixtures.querycount import counting_statements
from .fixtures.selection import scored, selection_url
from .fixtures.web import form_of, text_of


def states(people):
    db.session.expire_all()
    return {name: db.session.get(Application, application.id).state for name, application in people.items()}


def places(people):
    return {
        name: db.session.get(Application, application.id).allocated_place_id for name, application in people.items()
    }


def only_the_form(client, call, query=""):
    """The CSRF token and the fingerprint: what the page posts when no row was changed."""
    form = form_of(client.get(selection_url(call, query)))
    return {"csrf_token": form["csrf_token"], "fingerprint": form["fingerprint"]}


def shown_rows(page, people):
    return {name for name, application in people.items() if f'id="row-{application.id}"' in page}


def test_the_summary_and_the_confirm_button_come_before_the_ranking(client, login_as, selection_head, selection):
    call, _people = selection
    login_as(selection_head)
    page = text_of(client.get(selection_url(call)))
    numbers = page[page.index('id="summary-numbers"') : page.index("</dl>")]
    # Places 2 + 1 + 1; ann, ben, cid proposed; dan waiting; eve below the minimum; c left free.
    for name, value in {"places": 4, "select": 3, "waitlist": 1, "below-minimum": 1, "free": 1}.items():
        assert f'data-count="{name}">{value}<' in numbers
    assert page.index('id="confirm"') < page.index('id="ranking"')
    assert page.index('type="submit" aria-describedby="confirm-note"') < page.index('id="ranking"')
    assert "table-sticky" in page[page.rindex("<div", 0, page.index('id="ranking"')) :][:80]


def test_the_ranking_is_filtered_by_host_and_by_proposed_result(client, login_as, selection_head, selection):
    call, people = selection
    login_as(selection_head)
    a, b, c = call.places

    def shown(query):
        return shown_rows(text_of(client.get(selection_url(call, query))), people)

    assert shown("") == set(people)
    assert shown("?result=waitlist") == {"dan"}
    assert shown("?result=not_select") == {"eve"}
    # A host: those proposed for it, and those not selected elsewhere who chose it.
    assert shown(f"?host={a.id}") == {"ann", "ben", "dan", "eve"}
    assert shown(f"?host={b.id}") == {"cid", "dan"}
    assert shown(f"?host={c.id}") == set()
    assert shown(f"?host={b.id}&result=select") == {"cid"}
    # Unknown values are no filter.
    assert shown("?host=99999&result=everything") == set(people)
    page = text_of(client.get(selection_url(call, "?result=waitlist")))
    assert "Shown: 1 of 5 ranked applicants." in page
    assert "The rows not shown are confirmed as proposed." in page
    # The summary counts the whole call, and the confirmation keeps the filter for its answer.
    assert 'data-count="select">3<' in page
    assert f'action="/calls/{call.id}/selection?result=waitlist"' in page


def test_posting_only_the_fingerprint_confirms_the_proposal_as_posting_every_row_does(
    client, login_as, selection_head, selection
):
    call, people = selection
    login_as(selection_head)
    a, b, _c = call.places

    response = client.post(selection_url(call), data=only_the_form(client, call))

    assert response.status_code == 302
    assert states(people) == {
        "ann": "selected",
        "ben": "selected",
        "cid": "selected",
        "dan": "waitlisted",
        "eve": "not_selected",
    }
    assert [places(people)[name] for name in ("ann", "ben", "cid")] == [a.id, a.id, b.id]
    assert [db.session.get(Application, people[name].id).rank for name in ("ann", "ben", "cid", "dan", "eve")] == [
        1,
        2,
        3,
        4,
        5,
    ]


def test_a_field_not_posted_keeps_the_proposal_for_that_field(client, login_as, selection_head, selection):
    call, people = selection
    login_as(selection_head)
    a, _b, c = call.places
    form = only_the_form(client, call, "?result=waitlist")  # confirmed from a filtered view
    form[f"place-{people['ben'].id}"] = str(c.id)  # result not posted: stays "select"
    form[f"result-{people['dan'].id}"] = "select"  # takes the place ben left at A
    form[f"place-{people['dan'].id}"] = str(a.id)
    form[f"result-{people['cid'].id}"] = "not_select"  # its host, not posted, is then no matter

    response = client.post(selection_url(call, "?result=waitlist"), data=form)

    assert response.status_code == 302
    assert states(people) == {
        "ann": "selected",
        "ben": "selected",
        "cid": "not_selected",
        "dan": "selected",
        "eve": "not_selected",
    }
    assert (places(people)["ben"], places(people)["dan"], places(people)["cid"]) == (c.id, a.id, None)


def test_a_bad_override_is_refused_next_to_its_row_even_outside_the_filter(client, login_as, selection_head, selection):
    call, people = selection
    login_as(selection_head)
    _a, _b, c = call.places
    form = only_the_form(client, call, "?result=not_select")
    form[f"result-{people['dan'].id}"] = "select"
    form[f"place-{people['dan'].id}"] = str(c.id)  # a host dan did not choose
    form[f"result-{people['eve'].id}"] = "waitlist"  # below the minimum

    response = client.post(selection_url(call, "?result=not_select"), data=form)

    assert response.status_code == 400
    page = text_of(response)
    for name, message in (("dan", "The applicant did not choose this host."), ("eve", "below the call's minimum")):
        row = page[page.index(f'id="row-{people[name].id}"') :]
        row = row[: row.index("</tr>")]
        assert message in row and "table-danger" in row
        assert f'href="#row-{people[name].id}"' in page[: page.index('id="ranking"')]
    # dan is not in the filter but shown, marked as changed so that the page posts it again.
    assert f'id="row-{people["dan"].id}" class="table-danger" data-override' in page
    assert form_of(response)[f"result-{people['dan'].id}"] == "select"
    assert set(states(people).values()) == {"tested"}


def test_a_stale_fingerprint_is_refused_when_only_overrides_are_posted(client, login_as, selection_head, selection):
    call, people = selection
    login_as(selection_head)
    form = only_the_form(client, call)
    score = db.session.scalars(db.select(Score).where(Score.application_id == people["dan"].id)).first()
    score.value = Decimal(100)  # dan now ranks higher: the proposal the head saw is gone
    db.session.commit()

    response = client.post(selection_url(call), data=form)

    assert response.status_code == 409
    assert "changed since the page was shown" in text_of(response)
    assert set(states(people).values()) == {"tested"}


def test_the_selection_page_statement_count_does_not_grow_with_the_applicants(client, login_as, selection_head):
    """Each applicant has a faculty of their own, so anything loaded row by row would show."""

    def statements_for(count):
        with one_commit():
            call = CallFactory(places=(2, 1, 1), minimum_total_score=Decimal(50))
            examiner = UserFactory(roles=["examiner"])
            for number in range(count):
                scored(call, hosts=list(call.places[number % 3 :][:2]), language=40 + number % 60, examiner=examiner)
        client.get(selection_url(call))  # warm up
        with counting_statements() as statements:
            response = client.get(selection_url(call))
        assert text_of(response).count('<tr id="row-') == count
        return statements

    login_as(selection_head)
    small = statements_for(5)
    large = statements_for(50)
    assert len(small) == len(large), "\n\n".join(large)
