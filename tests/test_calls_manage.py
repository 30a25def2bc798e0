"""The head's pages under /manage/ over HTTP: who may open them, creating and editing
programs, partners, agreements and calls, every refusal with its message, and the
actions publish, unpublish and close."""

import io
import os
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from irflow.calls.queries import held_places_by_partner
from irflow.extensions import db
from irflow.models import Agreement, Application, Call, CallPlace, Criterion, Partner, Program, Score
from irflow.models.base import utcnow

from .fixtures.calls import edit_form
from .fixtures.factories import (
    ApplicationFactory,
    CallFactory,
    FacultyFactory,
    UserFactory,
    one_commit,
)
from .fixtures.files import EXE, PDF, PNG
from .fixtures.manage import agreement_form, count, head_client, manage_world, text_of, with_signed_copy
from .fixtures.querycount import counting_statements
from .fixtures.web import client_for, post
from .fixtures.web import text_of as raw_text_of


@pytest.fixture
def head(app):
    return head_client(app)


@pytest.fixture
def world():
    return manage_world()


# --- who may open what ------------------------------------------------------------------------------

GET_ROUTES = (
    "/manage/",
    "/manage/programs",
    "/manage/programs/new",
    "/manage/programs/{program}/edit",
    "/manage/partners",
    "/manage/partners/new",
    "/manage/partners/{partner}",
    "/manage/partners/{partner}/agreements/new",
    "/manage/agreements/{agreement}",
    "/manage/agreements/{agreement}/signed-copy",
    "/manage/calls",
    "/manage/calls/new",
    "/manage/calls/{call}/edit",
    "/manage/calls/{call}/close",
)
POST_ROUTES = (
    "/manage/programs/{program}/publish",
    "/manage/programs/{program}/unpublish",
    "/manage/calls/{call}/publish",
    "/manage/calls/{call}/unpublish",
    "/manage/calls/{call}/close",
    "/manage/agreements/{agreement}/delete",
)
# Forms that redisplay with 400 when posted empty (their checks refuse an empty form).
FORM_ROUTES = (
    "/manage/programs/new",
    "/manage/programs/{program}/edit",
    "/manage/partners/new",
    "/manage/partners/{partner}",
    "/manage/calls/new",
    "/manage/calls/{call}/edit",
)


def _ids(world):
    return {
        "program": world["program"].id,
        "partner": world["partners"][0].id,
        "agreement": world["agreement"].id,
        "call": world["call"].id,
    }


@pytest.mark.parametrize("kind", ["anonymous", "applicant", "coordinator", "examiner"])
def test_every_manage_route_is_refused_to_everyone_but_the_head(app, world, kind):
    with_signed_copy(app, world)
    ids = _ids(world)
    if kind == "anonymous":
        client = app.test_client()
    else:
        user = (
            UserFactory(coordinates=[FacultyFactory()])
            if kind == "coordinator"
            else UserFactory(roles=[] if kind == "applicant" else [kind])
        )
        client = client_for(app, user)
    expected = 302 if kind == "anonymous" else 403
    for route in GET_ROUTES + POST_ROUTES + FORM_ROUTES:
        path = route.format(**ids)
        response = post(client, path) if route in POST_ROUTES + FORM_ROUTES else client.get(path)
        response.close()
        assert response.status_code == expected, (route, response.status_code)
        if kind == "anonymous":
            assert response.headers["Location"].startswith("/auth/login"), route
    # Nothing was changed by the refused requests.
    assert (world["program"].published, world["call"].published, count(Agreement)) == (False, True, 1)


@pytest.mark.parametrize("role", ["head", "admin"])
def test_the_head_and_admin_open_every_manage_route(app, world, role):
    with_signed_copy(app, world)
    ids = _ids(world)
    client = client_for(app, UserFactory(roles=[role]))
    for route in GET_ROUTES:
        response = client.get(route.format(**ids))
        response.close()  # the signed copy is sent as a file
        assert response.status_code == 200, (route, response.status_code)
    for route in FORM_ROUTES:
        assert post(client, route.format(**ids)).status_code == 400, route
    for route in POST_ROUTES:  # delete last: it takes the agreement away
        response = post(client, route.format(**ids))
        assert response.status_code == 302, (route, response.status_code)
        assert not response.headers["Location"].startswith("/auth/login")
    assert count(Agreement) == 0


def test_unknown_ids_are_not_found(head, world):
    ids = dict.fromkeys(_ids(world), 987654)
    for route in GET_ROUTES + POST_ROUTES:
        if "{" not in route:
            continue
        path = route.format(**ids)
        response = post(head, path) if route in POST_ROUTES else head.get(path)
        assert response.status_code == 404, route


def test_an_agreement_without_a_signed_copy_has_nothing_to_download(head, world):
    assert head.get(f"/manage/agreements/{world['agreement'].id}/signed-copy").status_code == 404


def test_the_nav_offers_manage_to_the_head_only(app, head):
    assert 'href="/manage/"' in text_of(head.get("/"))
    assert 'href="/manage/"' not in text_of(client_for(app, UserFactory(roles=["coordinator"])).get("/"))


# --- calls: creating ---------------------------------------------------------------------------------


def call_form(world, **changes):
    """A complete, valid call form as the browser posts it; `changes` replace fields (None drops one)."""
    first, second = world["partners"]
    data = {
        "program": str(world["program"].id),
        "title_en": "Erasmus+ study in Dresden 2030",
        "description_en": "One semester at TU Dresden.",
        "mobility_type": "study",
        "academic_year": "2030/2031",
        "opens_at": "2030-09-01T09:00",
        "closes_at": "2030-10-01T18:00",
        "test_at": "2030-10-10T10:30",
        "test_place_en": "Main building, room 210",
        "min_months": "3",
        "max_months": "5",
        "minimum_total_score": "60",
        "grade_scale": "5",
        "offer_reply_days": "6",
        "changes_reply_days": "4",
        "eligible_categories": ["bachelor", "master"],
        "required_document_kinds": ["cv", "passport"],
        "examiners": [str(world["examiner"].id)],
        "places-0-partner": str(first.id),
        "places-0-places": "2",
        "places-0-months": "5",
        "places-1-partner": str(second.id),
        "places-1-places": "1",
        "places-1-months": "4",
        "places-2-partner": "",
        "places-2-places": "",
        "places-2-months": "",
        "criteria-0-criterion_id": "",
        "criteria-0-name_en": "English test",
        "criteria-0-source": "test",
        "criteria-0-weight": "2",
        "criteria-1-criterion_id": "",
        "criteria-1-name_en": "Average grade",
        "criteria-1-source": "average_grade",
        "criteria-1-weight": "1,5",
        "criteria-2-criterion_id": "",
        "criteria-2-name_en": "",
        "criteria-2-source": "test",
        "criteria-2-weight": "",
    }
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def test_creating_a_call_with_places_and_criteria(head, world):
    response = post(head, "/manage/calls/new", call_form(world))
    assert response.status_code == 302
    call = db.session.scalar(sa.select(Call).where(Call.title == "Erasmus+ study in Dresden 2030"))
    assert response.headers["Location"] == f"/manage/calls/{call.id}/edit"
    assert call.program_id == world["program"].id
    assert call.published is False
    assert (call.mobility_type, call.academic_year, call.description) == (
        "study",
        "2030/2031",
        "One semester at TU Dresden.",
    )
    # Typed in the head's zone (Asia/Dushanbe, UTC+5), stored as UTC.
    assert call.opens_at == datetime(2030, 9, 1, 4, 0, tzinfo=UTC)
    assert call.closes_at == datetime(2030, 10, 1, 13, 0, tzinfo=UTC)
    assert call.test_at == datetime(2030, 10, 10, 5, 30, tzinfo=UTC)
    assert call.test_place == "Main building, room 210"
    assert (call.min_months, call.max_months, call.offer_reply_days, call.changes_reply_days) == (3, 5, 6, 4)
    assert (Decimal(call.minimum_total_score), Decimal(call.grade_scale)) == (Decimal(60), Decimal(5))
    assert call.eligible_categories == ["bachelor", "master"]
    assert call.required_document_kinds == ["cv", "passport"]
    assert [user.id for user in call.examiners] == [world["examiner"].id]
    assert [(place.partner.name, place.places, place.months) for place in call.places] == [
        ("TU Dresden", 2, 5),
        ("Osh State University", 1, 4),
    ]
    assert [
        (criterion.name, criterion.source, Decimal(criterion.weight), criterion.position) for criterion in call.criteria
    ] == [("English test", "test", Decimal(2), 0), ("Average grade", "average_grade", Decimal("1.5"), 1)]

    # The edit page shows the times back in the head's zone.
    page = text_of(head.get(f"/manage/calls/{call.id}/edit"))
    assert 'value="2030-09-01T09:00"' in page and 'value="2030-10-01T18:00"' in page


def test_the_new_call_form_offers_empty_rows_examiners_and_documents(head, world):
    page = text_of(head.get("/manage/calls/new"))
    assert 'name="places-2-partner"' in page and 'name="criteria-1-name_en"' in page
    assert "EXAMINER ONE" in page
    assert 'value="passport"' in page
    assert 'value="host_acceptance"' not in page  # comes after selection; applicants cannot upload it before
    assert "Asia/Dushanbe" in page


VALIDATION_CASES = {
    "closing before opening": (dict(closes_at="2030-08-01T09:00"), "The call must close after it opens.", "closes_at"),
    "closing when opening": (dict(closes_at="2030-09-01T09:00"), "The call must close after it opens.", "closes_at"),
    "negative places": ({"places-1-places": "-1"}, "The number of places cannot be negative.", "places-1-places"),
    "zero months": ({"places-0-months": "0"}, "A stay lasts at least one month.", "places-0-months"),
    "places beyond any host": ({"places-0-places": "99999999999"}, "Enter at most 999 places.", "places-0-places"),
    "places that are no number": ({"places-0-places": "two"}, "Not a valid integer value.", "places-0-places"),
    "a host listed twice": (
        {"places-2-partner": "{first}", "places-2-places": "1", "places-2-months": "2"},
        "This host is listed twice; give it one row.",
        "places-2-partner",
    ),
    "a host without places": ({"places-1-places": ""}, "Enter the number of places.", "places-1-places"),
    "places without a host": ({"places-2-places": "3"}, "Choose the host.", "places-2-partner"),
    "a zero weight": ({"criteria-0-weight": "0"}, "The weight must be more than zero.", "criteria-0-weight"),
    "a negative weight": ({"criteria-1-weight": "-1"}, "The weight must be more than zero.", "criteria-1-weight"),
    "a weight that is no number": ({"criteria-0-weight": "two"}, "Not a valid decimal value.", "criteria-0-weight"),
    "a criterion name twice": (
        {"criteria-2-name_en": "english TEST", "criteria-2-weight": "1"},
        "Another criterion has this name already.",
        "criteria-2-name_en",
    ),
    "the average grade twice": (
        {"criteria-2-name_en": "Grade again", "criteria-2-source": "average_grade", "criteria-2-weight": "1"},
        "The average grade can be a criterion only once.",
        "criteria-2-source",
    ),
    "min months above max months": (
        dict(min_months="6", max_months="5"),
        "The longest stay cannot be shorter than the shortest stay.",
        "max_months",
    ),
    "zero min months": (dict(min_months="0"), "Enter from 1 to 24 months.", "min_months"),
    "a call with no place": (
        {
            "places-0-partner": "",
            "places-0-places": "",
            "places-0-months": "",
            "places-1-partner": "",
            "places-1-places": "",
            "places-1-months": "",
        },
        "Add at least one host with its places.",
        "places",
    ),
    "a call with no criterion": (
        {"criteria-0-name_en": "", "criteria-0-weight": "", "criteria-1-name_en": "", "criteria-1-weight": ""},
        "Add at least one selection criterion with its weight.",
        "criteria",
    ),
    "no eligible category": (
        dict(eligible_categories=None),
        "Tick at least one category of applicants.",
        "eligible_categories",
    ),
    "a minimum score above 100": (
        dict(minimum_total_score="101"),
        "Enter a score from 0 to 100.",
        "minimum_total_score",
    ),
    "no program": (dict(program=""), "Choose the program.", "program"),
    "no title": (dict(title_en="  "), "Enter the title.", "title_en"),
    "a wrong academic year": (
        dict(academic_year="2030/2032"),
        "Write the academic year as two following years",
        "academic_year",
    ),
    "no deadline": (dict(closes_at=""), "Enter the deadline.", "closes_at"),
    "zero reply days": (dict(offer_reply_days="0"), "Enter from 1 to 90 days.", "offer_reply_days"),
    "a zero grade scale": (dict(grade_scale="0"), "Enter a number above 0 and up to 100.", "grade_scale"),
}


def _message_near(page, field_name, message):
    """The message is shown right after the field it is about (or above a list of rows)."""
    if field_name in ("places", "criteria"):
        section = page[page.index(f'id="{field_name}"') :]
        return message in section[: section.index("<table")]
    if field_name in ("eligible_categories",):
        start = page.index(f'name="{field_name}"')
        return message in page[start : start + 2000]
    match = re.search(rf'<(input|select|textarea)[^>]*name="{re.escape(field_name)}"[^>]*>', page)
    assert match, field_name
    after = page[match.end() : match.end() + 3000]
    if match.group(1) == "select":
        after = after[after.index("</select>") :]
    return (
        re.match(r'\s*(<div class="invalid-feedback"[^>]*>[^<]*</div>\s*)*', after)
        and message in after[:600]
        and "is-invalid" in match.group(0)
    )


@pytest.mark.parametrize("case", VALIDATION_CASES)
def test_a_refused_call_is_shown_again_with_the_message_and_nothing_saved(head, world, case):
    changes, message, field_name = VALIDATION_CASES[case]
    changes = {
        key: value.replace("{first}", str(world["partners"][0].id)) if isinstance(value, str) else value
        for key, value in changes.items()
    }
    calls_before = count(Call)
    response = post(head, "/manage/calls/new", call_form(world, **changes))
    assert response.status_code == 400
    page = text_of(response)
    assert message in page
    assert _message_near(page, field_name, message), field_name
    assert "Nothing was saved." in page
    # What was typed is kept.
    assert 'value="Erasmus+ study in Dresden 2030"' in page or case == "no title"
    assert "One semester at TU Dresden." in page
    assert (count(Call), count(CallPlace), count(Criterion)) == (calls_before, 1, 3)


def test_the_refused_form_keeps_every_row_typed(head, world):
    response = post(head, "/manage/calls/new", call_form(world, **{"places-1-places": "-1"}))
    page = text_of(response)
    assert re.search(rf'<option selected value="{world["partners"][1].id}">Osh State University', page)
    assert 'name="places-1-places" type="number" value="-1"' in page
    assert 'name="criteria-1-weight" type="text" value="1,5"' in page
    assert re.search(
        r'<input checked class="form-check-input" id="eligible_categories-1" '
        r'name="eligible_categories" type="checkbox" value="master">',
        page,
    )


# --- calls: editing ----------------------------------------------------------------------------------


@pytest.fixture
def call_with_applications(world):
    """A call with hosts A (2 places), B (1) and C (1): an application chose A then B, another
    holds a place at A; examiners scored the language test of the first."""
    with one_commit():
        call = CallFactory(program=world["program"], places=[2, 1, 1])
        chose = ApplicationFactory(call=call, hosts=call.places[:2], state="eligible")
        holder = ApplicationFactory(call=call, hosts=call.places[:1], state="selected")
        holder.allocated_place = call.places[0]
        db.session.add(
            Score(
                application=chose,
                criterion=call.criteria[0],
                value=Decimal(80),
                examiner=UserFactory(roles=["examiner"]),
            )
        )
    return call


def test_the_edit_page_shows_the_call_as_saved(head, call_with_applications):
    call = call_with_applications
    page = text_of(head.get(f"/manage/calls/{call.id}/edit"))
    assert f'value="{call.title}"' in page
    assert re.search(rf'<option selected value="{call.places[2].partner_id}">', page)
    assert f'name="criteria-0-criterion_id" type="hidden" value="{call.criteria[0].id}"' in page
    assert 'name="criteria-0-name_en" type="text" value="Language test"' in page
    assert "This call has 2 applications." in page
    assert 'name="places-5-partner"' in page  # three empty rows to fill


class _FormFields(HTMLParser):
    """The values a browser would post for the first POST form with a Save button."""

    def __init__(self):
        super().__init__()
        self.fields, self.inside, self.select, self.textarea = [], False, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method") == "post" and "action" not in attrs:
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and attrs.get("type") not in ("submit", "file"):
            if attrs.get("type") != "checkbox" or "checked" in attrs:
                self.fields.append((attrs["name"], attrs.get("value", "")))
        elif tag == "select":
            self.select = attrs["name"]
        elif tag == "option" and self.select and "selected" in attrs:
            self.fields.append((self.select, attrs.get("value", "")))
        elif tag == "textarea":
            self.textarea = attrs["name"]
            self.fields.append((self.textarea, ""))

    def handle_data(self, data):
        if self.textarea:
            name, value = self.fields.pop()
            self.fields.append((name, value + data))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            name, value = self.fields.pop()
            self.fields.append((name, value[1:] if value.startswith("\n") else value))
            self.textarea = None


def posted_as_rendered(page):
    parser = _FormFields()
    parser.feed(page)
    return MultiDict(parser.fields)


def test_saving_the_edit_page_unchanged_changes_nothing(head, call_with_applications):
    call = call_with_applications
    call.test_at, call.test_place, call.description = utcnow().replace(microsecond=0, second=0), "Room 5", "Text"
    db.session.commit()
    minute = dict(second=0, microsecond=0)
    before = (
        call.title,
        call.opens_at.replace(**minute),
        call.closes_at.replace(**minute),
        call.test_at,
        [(place.id, place.places, place.months) for place in call.places],
        [(criterion.id, criterion.name, Decimal(criterion.weight)) for criterion in call.criteria],
        call.eligible_categories,
        call.required_document_kinds,
        Decimal(call.grade_scale),
    )
    data = posted_as_rendered(head.get(f"/manage/calls/{call.id}/edit").get_data(as_text=True))
    assert data["criteria-0-weight"] == "2.00" and data["places-3-partner"] == ""
    response = head.post(f"/manage/calls/{call.id}/edit", data=data)
    assert response.status_code == 302, text_of(response)
    db.session.expire_all()
    after = (
        call.title,
        call.opens_at,
        call.closes_at,
        call.test_at,
        [(place.id, place.places, place.months) for place in call.places],
        [(criterion.id, criterion.name, Decimal(criterion.weight)) for criterion in call.criteria],
        call.eligible_categories,
        call.required_document_kinds,
        Decimal(call.grade_scale),
    )
    assert after == before


def test_editing_a_call_cannot_remove_a_host_applicants_chose(head, call_with_applications):
    call = call_with_applications
    host_b = call.places[1]
    name_b = host_b.partner.name
    # Host B is replaced by an empty row.
    response = post(
        head,
        f"/manage/calls/{call.id}/edit",
        edit_form(
            call, **{"places-1-partner": "", "places-1-places": "", "places-1-months": "", "title_en": "Renamed"}
        ),
    )
    assert response.status_code == 400
    page = text_of(response)
    message = f"Applicants have chosen {name_b}: such a host cannot be removed from the call."
    assert message in page
    places_section = page[page.index('id="places"') :]
    assert message in places_section[: places_section.index("<table")]
    db.session.refresh(call)
    assert (call.title, len(call.places)) != ("Renamed", 2)
    assert db.session.get(CallPlace, host_b.id) is not None


def test_editing_a_call_changes_counts_and_removes_only_unchosen_hosts(head, call_with_applications):
    call = call_with_applications
    ids = [place.id for place in call.places]
    response = post(
        head,
        f"/manage/calls/{call.id}/edit",
        edit_form(
            call,
            **{
                "places-0-places": "5",
                "places-1-places": "0",
                "places-1-months": "3",
                "places-2-partner": "",
                "places-2-places": "",
                "places-2-months": "",
            },
        ),
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [(place.id, place.places, place.months) for place in call.places] == [(ids[0], 5, 5), (ids[1], 0, 3)]
    assert db.session.get(CallPlace, ids[2]) is None
    chosen = db.session.scalar(sa.select(Application).where(Application.state == "eligible"))
    assert [choice.call_place_id for choice in chosen.choices] == ids[:2]


def test_a_host_chosen_while_the_head_edits_is_not_lost(head, call_with_applications, monkeypatch):
    """The check ran before an applicant chose host B; the database still refuses to lose it."""
    call = call_with_applications
    monkeypatch.setattr("irflow.calls.manage.protected_partners", lambda call: {})
    response = post(
        head,
        f"/manage/calls/{call.id}/edit",
        edit_form(
            call, **{"places-1-partner": "", "places-1-places": "", "places-1-months": "", "title_en": "Renamed"}
        ),
    )
    assert response.status_code == 400
    assert "The call changed while you were editing it" in text_of(response)
    assert 'value="Renamed"' in text_of(response)
    db.session.expire_all()
    assert len(call.places) == 3 and call.title != "Renamed"


def test_places_cannot_drop_below_those_already_allocated(head, call_with_applications):
    call = call_with_applications
    response = post(head, f"/manage/calls/{call.id}/edit", edit_form(call, **{"places-0-places": "0"}))
    assert response.status_code == 400
    assert "1 places at this host are already allocated" in text_of(response)


def test_a_place_given_while_the_head_edits_is_counted_again_before_saving(head, call_with_applications, monkeypatch):
    """The form was checked before the place was given; the save counts again under the
    places' lock and refuses, next to the host, nothing saved."""
    call = call_with_applications
    real = held_places_by_partner
    counts = []

    def held_then_real(call):
        counts.append(call.id)
        return {} if len(counts) == 1 else real(call)

    monkeypatch.setattr("irflow.calls.manage.held_places_by_partner", held_then_real)
    monkeypatch.setattr("irflow.calls.operations.held_places_by_partner", held_then_real)
    response = post(
        head, f"/manage/calls/{call.id}/edit", edit_form(call, **{"places-0-places": "0", "title_en": "Renamed"})
    )
    assert len(counts) == 2
    assert response.status_code == 400
    assert "1 places at this host are already allocated" in text_of(response)
    db.session.expire_all()
    assert call.places[0].places == 2 and call.title != "Renamed"


def test_editing_criteria_renames_reorders_and_keeps_scored_ones(head, call_with_applications):
    call = call_with_applications
    language, interview, _grade = call.criteria
    # Swap two names (uniqueness holds after each statement), drop the unscored grade, add one.
    response = post(
        head,
        f"/manage/calls/{call.id}/edit",
        edit_form(
            call,
            **{
                "criteria-0-name_en": "Interview",
                "criteria-1-name_en": "Language test",
                "criteria-2-criterion_id": "",
                "criteria-2-name_en": "Average grade",
                "criteria-2-weight": "3",
                "criteria-3-name_en": "Motivation",
                "criteria-3-source": "test",
                "criteria-3-weight": "1",
            },
        ),
    )
    assert response.status_code == 302, text_of(response)
    db.session.expire_all()
    rows = [(criterion.id, criterion.name, Decimal(criterion.weight)) for criterion in call.criteria]
    assert rows[:2] == [(language.id, "Interview", Decimal(2)), (interview.id, "Language test", Decimal(1))]
    assert rows[2][1:] == ("Average grade", Decimal(3))
    assert rows[3][1:] == ("Motivation", Decimal(1))
    assert count(Score) == 1  # the score of the first criterion is kept


def test_a_scored_criterion_cannot_be_removed(head, call_with_applications):
    call = call_with_applications
    response = post(
        head,
        f"/manage/calls/{call.id}/edit",
        edit_form(call, **{"criteria-0-criterion_id": None, "criteria-0-name_en": "", "criteria-0-weight": ""}),
    )
    assert response.status_code == 400
    assert "Examiners have already scored Language test" in text_of(response)
    assert count(Score) == 1 and len(call.criteria) == 3


# --- calls: publish, unpublish, close ----------------------------------------------------------------


def test_publishing_and_unpublishing_a_call(app, head, world):
    call = world["call"]
    call.published = False
    db.session.commit()
    public = app.test_client()
    assert public.get(f"/calls/{call.id}").status_code == 404

    response = post(head, f"/manage/calls/{call.id}/publish", {"next": "/manage/calls"})
    assert (response.status_code, response.headers["Location"]) == (302, "/manage/calls")
    assert call.published is True
    assert public.get(f"/calls/{call.id}").status_code == 200
    assert call.title in text_of(public.get("/"))

    response = post(head, f"/manage/calls/{call.id}/unpublish", {"next": "https://evil.example/"})
    assert (response.status_code, response.headers["Location"]) == (302, "/manage/calls")
    assert call.published is False
    assert public.get(f"/calls/{call.id}").status_code == 404


def test_closing_an_open_call_after_confirming(app, head, world):
    call = world["call"]
    page = text_of(head.get(f"/manage/calls/{call.id}/close"))
    assert "Close the call now?" in page and f'action="/manage/calls/{call.id}/close"' in page
    assert call.closes_at > utcnow()  # the confirmation page changes nothing

    before = utcnow()
    response = post(head, f"/manage/calls/{call.id}/close")
    assert (response.status_code, response.headers["Location"]) == (302, f"/manage/calls/{call.id}/edit")
    assert before <= call.closes_at <= utcnow()
    assert call.title not in text_of(app.test_client().get("/"))
    assert "is closed" in text_of(head.get(response.headers["Location"]))


@pytest.mark.parametrize("when", ["closed", "upcoming", "unpublished"])
def test_closing_a_call_that_is_not_open_changes_nothing(head, world, when):
    call = world["call"]
    if when == "closed":
        call.opens_at, call.closes_at = utcnow() - timedelta(days=30), utcnow() - timedelta(days=2)
    elif when == "upcoming":
        call.opens_at, call.closes_at = utcnow() + timedelta(days=3), utcnow() + timedelta(days=30)
    else:
        call.published = False
    db.session.commit()
    closes_at = call.closes_at
    response = post(head, f"/manage/calls/{call.id}/close")
    assert response.status_code == 302
    assert call.closes_at == closes_at
    assert "there is nothing to close" in text_of(head.get(response.headers["Location"]))


# --- programs ----------------------------------------------------------------------------------------


def test_creating_editing_publishing_and_closing_a_program(app, head):
    response = post(
        head,
        "/manage/programs/new",
        {
            "name": "DAAD scholarships",
            "kind": "daad",
            "funder": "DAAD",
            "description_en": "Research stays in Germany.",
            "website": "https://www.daad.de/",
        },
    )
    assert (response.status_code, response.headers["Location"]) == (302, "/manage/programs")
    program = db.session.scalar(sa.select(Program))
    assert (program.name, program.kind, program.funder, program.website, program.published) == (
        "DAAD scholarships",
        "daad",
        "DAAD",
        "https://www.daad.de/",
        False,
    )
    public = app.test_client()
    assert "DAAD scholarships" not in text_of(public.get("/programs"))

    assert post(head, f"/manage/programs/{program.id}/publish").status_code == 302
    assert program.published is True
    assert "Research stays in Germany." in text_of(public.get("/programs"))

    response = post(
        head,
        f"/manage/programs/{program.id}/edit",
        {"name": "DAAD scholarships 2030", "kind": "daad", "funder": "", "description_en": "", "website": ""},
    )
    assert response.status_code == 302
    assert (program.name, program.funder, program.website) == ("DAAD scholarships 2030", None, None)

    assert post(head, f"/manage/programs/{program.id}/unpublish").status_code == 302
    assert program.published is False
    assert "DAAD scholarships" not in text_of(public.get("/programs"))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "erasmus+ ka171"}, "A program with this name exists already."),
        ({"name": ""}, "Enter the name."),
        ({"website": "javascript:alert(1)"}, "Enter a web address starting with http:// or https://."),
        ({"kind": "lottery"}, "Not a valid choice."),
    ],
)
def test_a_refused_program_is_shown_again(head, world, fields, message):
    data = {"name": "New program", "kind": "other", "funder": "A funder", "description_en": "", "website": ""}
    data.update(fields)
    response = post(head, "/manage/programs/new", data)
    assert response.status_code == 400
    assert message in text_of(response)
    assert "A funder" in text_of(response)
    assert count(Program) == 1


def test_a_program_keeps_its_own_name_when_edited(head, world):
    program = world["program"]
    response = post(head, f"/manage/programs/{program.id}/edit", {"name": program.name, "kind": "tempus"})
    assert response.status_code == 302
    assert program.kind == "tempus"


# --- partners ----------------------------------------------------------------------------------------


def partner_form(**changes):
    data = {
        "name": "Kazan Federal University",
        "country": "RU",
        "city": "Kazan",
        "kind": "university",
        "website": "https://kpfu.ru/",
        "contact_email": "international@kpfu.ru",
    }
    data.update(changes)
    return data


def test_creating_and_editing_a_partner(head):
    response = post(head, "/manage/partners/new", partner_form(country="ru"))
    partner = db.session.scalar(sa.select(Partner))
    assert (response.status_code, response.headers["Location"]) == (302, f"/manage/partners/{partner.id}")
    assert (partner.name, partner.country, partner.city, partner.kind, partner.website, partner.contact_email) == (
        "Kazan Federal University",
        "RU",
        "Kazan",
        "university",
        "https://kpfu.ru/",
        "international@kpfu.ru",
    )
    page = text_of(head.get(f"/manage/partners/{partner.id}"))
    assert '<option selected value="RU">Russia</option>' in page

    response = post(head, f"/manage/partners/{partner.id}", partner_form(country="KZ", contact_email="", city=""))
    assert response.status_code == 302
    assert (partner.country, partner.contact_email, partner.city) == ("KZ", None, None)
    assert (partner.oid, partner.erasmus_code) == (None, None)

    response = post(head, f"/manage/partners/{partner.id}", partner_form(oid=" e12345678 ", erasmus_code="D  BERLIN01"))
    assert response.status_code == 302
    assert (partner.oid, partner.erasmus_code) == ("E12345678", "D  BERLIN01")
    # Its own OID is not "another partner's".
    assert post(head, f"/manage/partners/{partner.id}", partner_form(oid="E12345678")).status_code == 302


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"country": "XX"}, "Choose a country from the list (an ISO 3166 two-letter code)."),
        ({"country": "EU"}, "Choose a country from the list"),
        ({"country": "DEU"}, "Choose a country from the list"),
        ({"country": ""}, "Choose a country from the list"),
        ({"kind": "castle"}, "Not a valid choice."),
        ({"contact_email": "not an address"}, "Enter a valid e-mail address."),
        ({"website": "www.example.org"}, "Enter a web address starting with http:// or https://."),
        ({"name": "TU DRESDEN"}, "A partner with this name exists already."),
        ({"oid": "E1234567"}, "Enter the OID as E followed by 8 digits."),
        ({"oid": "X12345678"}, "Enter the OID as E followed by 8 digits."),
        ({"oid": "E1234567A"}, "Enter the OID as E followed by 8 digits."),
        ({"oid": "E10000042"}, "Another partner has this OID."),
    ],
)
def test_a_refused_partner_is_shown_again(head, world, fields, message):
    world["partners"][1].oid = "E10000042"
    db.session.commit()
    partners_before = count(Partner)
    response = post(head, "/manage/partners/new", partner_form(**fields))
    assert response.status_code == 400
    page = text_of(response)
    assert message in page
    assert "Kazan" in page
    assert count(Partner) == partners_before


def test_partners_filter_in_the_head_list(head, world):
    page = text_of(head.get("/manage/partners", query_string={"country": "KG"}))
    assert "Osh State University" in page and "TU Dresden" not in page


# --- agreements --------------------------------------------------------------------------------------


def test_an_agreement_with_a_signed_copy_is_stored_and_downloadable_by_the_head(app, head, world):
    partner = world["partners"][1]
    data = agreement_form(world["program"], signed_copy=(io.BytesIO(PDF), "IIA signed.pdf"))
    response = post(head, f"/manage/partners/{partner.id}/agreements/new", data, content_type="multipart/form-data")
    assert (response.status_code, response.headers["Location"]) == (302, f"/manage/partners/{partner.id}")
    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.partner_id == partner.id))
    assert (
        agreement.title,
        agreement.program_id,
        agreement.signed_on,
        agreement.valid_from,
        agreement.valid_until,
        agreement.places_per_year,
        agreement.months_per_year,
    ) == ("IIA 2025–2029", world["program"].id, date(2025, 1, 10), date(2025, 2, 1), date(2029, 1, 31), 4, 20)
    assert agreement.signed_copy_name == "IIA signed.pdf"
    stored = os.path.join(app.config["UPLOAD_FOLDER"], agreement.signed_copy_stored_name)
    with open(stored, "rb") as stored_file:
        assert stored_file.read() == PDF

    download = head.get(f"/manage/agreements/{agreement.id}/signed-copy")
    assert download.status_code == 200 and download.data == PDF
    download.close()
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["Content-Type"] == "application/pdf"
    coordinator = client_for(app, UserFactory(coordinates=[FacultyFactory()]))
    assert coordinator.get(f"/manage/agreements/{agreement.id}/signed-copy").status_code == 403

    # Replacing the copy removes the old file; deleting the agreement removes the new one.
    response = post(
        head,
        f"/manage/agreements/{agreement.id}",
        agreement_form(world["program"], signed_copy=(io.BytesIO(PNG), "scan.png")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert not os.path.exists(stored)
    assert agreement.signed_copy_name == "scan.png"
    replaced = os.path.join(app.config["UPLOAD_FOLDER"], agreement.signed_copy_stored_name)
    assert os.path.exists(replaced)
    agreement_id = agreement.id
    assert post(head, f"/manage/agreements/{agreement_id}/delete").status_code == 302
    assert db.session.get(Agreement, agreement_id) is None
    assert not os.path.exists(replaced)


def test_the_signed_copy_must_be_a_pdf_jpeg_or_png(app, head, world):
    partner = world["partners"][1]
    files_before = set(os.listdir(app.config["UPLOAD_FOLDER"])) if os.path.isdir(app.config["UPLOAD_FOLDER"]) else set()
    response = post(
        head,
        f"/manage/partners/{partner.id}/agreements/new",
        agreement_form(signed_copy=(io.BytesIO(EXE), "agreement.pdf")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = text_of(response)
    assert "Only PDF, JPEG and PNG files are accepted." in page
    assert re.search(r'name="signed_copy" type="file">\s*<div class="invalid-feedback"[^>]*>Only PDF', page)
    assert 'value="IIA 2025–2029"' in page
    assert count(Agreement) == 1
    assert set(os.listdir(app.config["UPLOAD_FOLDER"])) == files_before


def test_removing_the_signed_copy(app, head, world):
    with_signed_copy(app, world)
    agreement = world["agreement"]
    stored = os.path.join(app.config["UPLOAD_FOLDER"], agreement.signed_copy_stored_name)
    response = post(head, f"/manage/agreements/{agreement.id}", agreement_form(remove_signed_copy="y"))
    assert response.status_code == 302
    assert (agreement.signed_copy_name, agreement.signed_copy_stored_name) == (None, None)
    assert not os.path.exists(stored)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"valid_until": "2024-01-01"}, "The end of validity cannot be before its start."),
        ({"places_per_year": "-2"}, "The number of places cannot be negative."),
        ({"months_per_year": "-1"}, "The number of months cannot be negative."),
        ({"program": "987654"}, "Choose a program from the list."),
        ({"signed_on": "tomorrow"}, "Not a valid date value."),
    ],
)
def test_a_refused_agreement_is_shown_again(head, world, fields, message):
    response = post(head, f"/manage/partners/{world['partners'][1].id}/agreements/new", agreement_form(**fields))
    assert response.status_code == 400
    assert message in text_of(response)
    assert count(Agreement) == 1


def test_agreements_expiring_within_90_days_are_flagged(head, world):
    partner = world["partners"][1]
    today = date.today()
    with one_commit():
        db.session.add_all(
            [
                Agreement(partner=partner, title="Ends in 30 days", valid_until=today + timedelta(days=30)),
                Agreement(partner=partner, title="Ends in 200 days", valid_until=today + timedelta(days=200)),
                Agreement(partner=partner, title="Ended last week", valid_until=today - timedelta(days=7)),
            ]
        )

    def flagged(page, title):
        line = page[page.index(title) :]
        return 'data-flag="expires-soon"' in line[: line.index("</div>")]

    for path in ("/manage/partners", f"/manage/partners/{partner.id}"):
        page = raw_text_of(head.get(path))
        assert flagged(page, "Ends in 30 days"), path
        assert not flagged(page, "Ends in 200 days"), path
        assert not flagged(page, "Ended last week"), path

    page = raw_text_of(head.get("/manage/partners"))
    assert not flagged(page, "IIA 2024–2028")  # on the list: 400 days to go

    overview = text_of(head.get("/manage/"))
    section = overview[overview.index('id="expiring-agreements"') : overview.index('id="current-calls"')]
    assert "Ends in 30 days" in section and "Osh State University" in section
    assert "Ends in 200 days" not in section and "Ended last week" not in section


# --- lists: a constant number of statements ----------------------------------------------------------


@pytest.mark.parametrize("path", ["/manage/", "/manage/calls", "/manage/partners", "/manage/programs"])
def test_manage_lists_run_a_constant_number_of_statements(head, path):
    def build(number):
        with one_commit():
            for _ in range(number):
                call = CallFactory(places=[1, 1])
                CallFactory(program=call.program, published=False, places=[1])
                ApplicationFactory(call=call)
                call.places[0].partner.agreements.append(
                    Agreement(title="IIA", valid_until=date.today() + timedelta(days=20), program=call.program)
                )

    def statements():
        head.get(path)
        with counting_statements() as recorded:
            assert head.get(path).status_code == 200
        return len(recorded)

    build(1)
    few = statements()
    build(6)
    assert statements() == few


def test_the_call_editor_offers_only_documents_an_applicant_has_when_applying(head, call_with_applications):
    page = head.get(f"/manage/calls/{call_with_applications.id}/edit").get_data(as_text=True)
    offered = set(re.findall(r'name="required_document_kinds"[^>]*value="([a-z_]+)"', page))
    assert {"cv", "passport", "transcript", "motivation_letter"} <= offered
    # Signed agreements, evidence for the checklist, certificates from the host: after selection.
    assert offered.isdisjoint(
        {"learning_agreement", "mobility_agreement", "grant_agreement", "visa", "certificate_of_attendance"}
    )
