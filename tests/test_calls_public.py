"""The public pages over HTTP: home, the calls list, a call, programs and partners.

Fixtures are built in one transaction (factories.one_commit) to keep the suite fast."""

import re
from datetime import date, timedelta

import pytest

from irflow.calls.queries import own_application_id
from irflow.extensions import db
from irflow.models import Agreement
from irflow.models.base import utcnow

from .fixtures.factories import ApplicationFactory, CallFactory, PartnerFactory, ProgramFactory, UserFactory, one_commit
from .fixtures.querycount import counting_statements
from .fixtures.web import client_for
from .fixtures.web import text_of as raw_text_of


def text_of(response):
    """The page as text, entities decoded and runs of white space made one space."""
    return re.sub(r"\s+", " ", raw_text_of(response))


def days(number):
    return utcnow() + timedelta(days=number)


def start_form_for(call):
    return f'action="/applications/new/{call.id}"'


@pytest.fixture
def calls_of_every_kind():
    """An open, an upcoming, a recently closed, a long closed and an unpublished call."""
    with one_commit():
        erasmus = ProgramFactory(name="Erasmus+ KA171", kind="erasmus_plus")
        daad = ProgramFactory(name="DAAD scholarships", kind="daad")
        calls = {
            "open": CallFactory(
                title="Semester in Dresden",
                program=erasmus,
                mobility_type="study",
                places=[3, 1],
                eligible_categories=["bachelor", "master"],
            ),
            "upcoming": CallFactory(
                title="Research stay in Bonn",
                program=daad,
                mobility_type="research",
                opens_at=days(20),
                closes_at=days(50),
            ),
            "closed": CallFactory(
                title="Teaching week in Riga",
                program=erasmus,
                mobility_type="teaching",
                opens_at=days(-60),
                closes_at=days(-10),
            ),
            "old": CallFactory(title="Call of long ago", program=erasmus, opens_at=days(-400), closes_at=days(-370)),
            "draft": CallFactory(title="Unpublished draft call", program=erasmus, published=False),
        }
        calls["open"].places[0].partner.name = "Osh State University"
        calls["open"].places[0].partner.country = "KG"
    return calls


# --- home ------------------------------------------------------------------------------------


def test_home_shows_open_calls_with_hosts_deadline_and_who_may_apply(client, calls_of_every_kind):
    page = text_of(client.get("/"))
    assert "Semester in Dresden" in page
    assert "Erasmus+ KA171 · Study · 2026/2027" in page
    assert "Deadline:" in page
    assert "Bachelor student, Master candidate" in page
    assert "Osh State University (Kyrgyzstan)" in page
    assert "3 places, 5 months" in page
    for hidden in ("Research stay in Bonn", "Teaching week in Riga", "Call of long ago", "Unpublished draft call"):
        assert hidden not in page
    assert f'href="/calls/{calls_of_every_kind["open"].id}"' in page


# --- the calls list --------------------------------------------------------------------------


def test_calls_list_shows_open_then_upcoming_then_recently_closed(client, calls_of_every_kind):
    response = client.get("/calls/")
    assert response.status_code == 200
    page = text_of(response)
    positions = [
        page.index(title) for title in ("Semester in Dresden", "Research stay in Bonn", "Teaching week in Riga")
    ]
    assert positions == sorted(positions)
    assert page.index('id="calls-open"') < positions[0] < page.index('id="calls-upcoming"') < positions[1]
    assert page.index('id="calls-closed"') < positions[2]
    assert "Call of long ago" not in page
    assert "Unpublished draft call" not in page


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({"mobility_type": "research"}, {"Research stay in Bonn"}),
        ({"mobility_type": "teaching"}, {"Teaching week in Riga"}),
        ({"program": "erasmus"}, {"Semester in Dresden", "Teaching week in Riga"}),
        ({"program": "erasmus", "mobility_type": "study"}, {"Semester in Dresden"}),
        ({"program": "daad", "mobility_type": "study"}, set()),
        (
            {"program": "abc", "mobility_type": "nonsense"},  # not offered: ignored, not an error
            {"Semester in Dresden", "Research stay in Bonn", "Teaching week in Riga"},
        ),
    ],
)
def test_calls_list_filters_by_program_and_mobility_type(client, calls_of_every_kind, query, shown):
    programs = {"erasmus": calls_of_every_kind["open"].program_id, "daad": calls_of_every_kind["upcoming"].program_id}
    args = {key: programs.get(value, value) for key, value in query.items()}
    response = client.get("/calls/", query_string=args)
    assert response.status_code == 200
    page = text_of(response)
    every = {"Semester in Dresden", "Research stay in Bonn", "Teaching week in Riga"}
    assert {title for title in every if title in page} == shown


def test_calls_list_offers_only_programs_with_published_calls(client, calls_of_every_kind):
    ProgramFactory(name="Program without calls")
    page = text_of(client.get("/calls/"))
    assert "Erasmus+ KA171" in page and "DAAD scholarships" in page
    assert "Program without calls" not in page


# --- a call -------------------------------------------------------------------------------------


def test_call_page_shows_everything_an_applicant_needs(client):
    with one_commit():
        call = CallFactory(
            title="Erasmus+ semester in Poznań",
            description="Study one semester at a partner university.",
            places=[2],
            min_months=3,
            max_months=5,
            required_document_kinds=["cv", "transcript"],
            eligible_categories=["master", "phd"],
            test_place="Main building, room 210",
            test_at=days(30),
            minimum_total_score=60,
            offer_reply_days=6,
            changes_reply_days=4,
            program=ProgramFactory(name="Erasmus+ KA171", funder="European Commission"),
        )
        call.places[0].partner.name = "Adam Mickiewicz University"
        call.places[0].partner.country = "PL"
        call.places[0].partner.city = "Poznań"
    page = text_of(client.get(f"/calls/{call.id}"))
    for text in (
        "Erasmus+ semester in Poznań",
        "Study one semester at a partner university.",
        "Erasmus+ KA171",
        "European Commission",
        "Main building, room 210",
        "3 to 5 months",
        "Master candidate, PhD candidate",
        "CV",
        "Transcript",
        "Language test",
        "Interview",
        "Average grade",
        "Minimum to be selected: 60",
        "Adam Mickiewicz University, Poznań (Poland) — 2 places, 5 months",
        "within 6 days",
        "within 4 days",
        "Deadline",
    ):
        assert text in page, text
    assert re.search(r"Language test</td><td>Test score</td><td class=\"text-end\">2</td>", page)


def test_call_page_in_russian_names_the_country_in_russian(app):
    with one_commit():
        call = CallFactory(places=[1])
        user = UserFactory(locale="ru")
    page = text_of(client_for(app, user).get(f"/calls/{call.id}"))
    assert "(Германия)" in page


@pytest.mark.parametrize(
    ("roles", "status"),
    [
        (None, 404),
        ([], 404),
        (["coordinator"], 404),
        (["examiner"], 404),
        (["head"], 200),
        (["admin"], 200),
    ],
)
def test_an_unpublished_call_is_seen_by_the_head_and_admin_only(app, roles, status):
    call = CallFactory(title="Unpublished draft call", published=False)
    client = app.test_client() if roles is None else client_for(app, UserFactory(roles=roles))
    response = client.get(f"/calls/{call.id}")
    assert response.status_code == status
    if status == 200:
        assert "This call is not published" in text_of(response)


def test_an_unknown_call_is_not_found(client):
    assert client.get("/calls/987654").status_code == 404


def test_the_apply_button_is_offered_to_admitted_users_on_open_calls_only(app, calls_of_every_kind):
    open_call, closed_call, upcoming_call = (calls_of_every_kind[key] for key in ("open", "closed", "upcoming"))
    with one_commit():
        bachelor = UserFactory(category="bachelor")
        teacher = UserFactory(category="teacher")

    anonymous_page = text_of(app.test_client().get(f"/calls/{open_call.id}"))
    assert start_form_for(open_call) not in anonymous_page
    assert "Log in to apply" in anonymous_page

    as_bachelor = client_for(app, bachelor)
    assert start_form_for(open_call) in text_of(as_bachelor.get(f"/calls/{open_call.id}"))
    assert start_form_for(closed_call) not in text_of(as_bachelor.get(f"/calls/{closed_call.id}"))
    upcoming_page = text_of(as_bachelor.get(f"/calls/{upcoming_call.id}"))
    assert start_form_for(upcoming_call) not in upcoming_page
    assert "Applications open on" in upcoming_page

    ApplicationFactory(call=open_call, applicant=bachelor)
    assert "Open my application" in text_of(as_bachelor.get(f"/calls/{open_call.id}"))

    teacher_page = text_of(client_for(app, teacher).get(f"/calls/{open_call.id}"))
    assert start_form_for(open_call) not in teacher_page
    assert "This call is not open to your category (Teacher)." in teacher_page


def test_a_withdrawn_application_leaves_the_way_open_to_apply_again(app):
    call = CallFactory()
    bachelor = UserFactory(category="bachelor")
    ApplicationFactory(call=call, applicant=bachelor, state="withdrawn")
    as_bachelor = client_for(app, bachelor)

    page = text_of(as_bachelor.get(f"/calls/{call.id}"))
    assert "Open my application" not in page
    assert start_form_for(call) in page and ">Apply<" in page.replace(" <", "<").replace("> ", ">")

    ApplicationFactory(call=call, applicant=bachelor)  # the new one, after the withdrawn
    assert "Open my application" in text_of(as_bachelor.get(f"/calls/{call.id}"))


def test_own_application_id_is_the_live_application_not_a_withdrawn_one():
    call = CallFactory()
    bachelor = UserFactory(category="bachelor")
    withdrawn = ApplicationFactory(call=call, applicant=bachelor, state="withdrawn")
    assert own_application_id(call, bachelor) is None
    live = ApplicationFactory(call=call, applicant=bachelor)
    assert withdrawn.id < live.id
    assert own_application_id(call, bachelor) == live.id


# --- programs -------------------------------------------------------------------------------------


def test_programs_page_lists_published_programs_with_their_open_calls(client, calls_of_every_kind):
    erasmus = calls_of_every_kind["open"].program
    erasmus.funder = "European Commission"
    erasmus.description = "Credit mobility with partner countries."
    erasmus.website = "https://erasmus-plus.ec.europa.eu/"
    ProgramFactory(name="Closed program", published=False)
    db.session.commit()

    page = text_of(client.get("/programs"))
    assert "Erasmus+ KA171" in page and "DAAD scholarships" in page
    assert "funded by European Commission" in page
    assert "Credit mobility with partner countries." in page
    assert 'href="https://erasmus-plus.ec.europa.eu/"' in page
    assert "Closed program" not in page
    erasmus_section = page[page.index(f'id="program-{erasmus.id}"') :]
    erasmus_section = erasmus_section[: erasmus_section.index("</section>")]
    assert "Semester in Dresden" in erasmus_section
    assert "Teaching week in Riga" not in erasmus_section  # closed
    assert "Unpublished draft call" not in erasmus_section


# --- partners -------------------------------------------------------------------------------------


@pytest.fixture
def partners():
    with one_commit():
        made = {
            "tu": PartnerFactory(name="TU Dresden", country="DE", kind="university"),
            "daad": PartnerFactory(name="DAAD office", country="DE", kind="foundation"),
            "kaznu": PartnerFactory(name="Al-Farabi Kazakh National University", country="KZ", kind="university"),
            "embassy": PartnerFactory(name="Embassy of Japan", country="JP", kind="embassy"),
        }
        db.session.add_all(
            [
                Agreement(
                    partner=made["tu"],
                    title="Inter-institutional agreement",
                    valid_from=date(2024, 1, 1),
                    valid_until=date.today() + timedelta(days=400),
                    signed_copy_name="secret.pdf",
                    signed_copy_stored_name="0" * 32 + ".pdf",
                ),
                Agreement(
                    partner=made["kaznu"],
                    title="Old memorandum",
                    valid_from=date(2015, 1, 1),
                    valid_until=date(2020, 12, 31),
                ),
            ]
        )
    return made


PARTNER_NAMES = ("TU Dresden", "DAAD office", "Al-Farabi Kazakh National University", "Embassy of Japan")


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({}, set(PARTNER_NAMES)),
        ({"country": "DE"}, {"TU Dresden", "DAAD office"}),
        ({"country": "de"}, {"TU Dresden", "DAAD office"}),
        ({"kind": "university"}, {"TU Dresden", "Al-Farabi Kazakh National University"}),
        ({"country": "DE", "kind": "university"}, {"TU Dresden"}),
        ({"country": "JP", "kind": "university"}, set()),
        ({"country": "XX", "kind": "castle"}, set(PARTNER_NAMES)),  # not offered: ignored
    ],
)
def test_partners_filter_by_country_and_kind(client, partners, query, shown):
    response = client.get("/partners", query_string=query)
    assert response.status_code == 200
    page = text_of(response)
    table = page[page.index('id="partners"') :] if shown else page
    assert {name for name in PARTNER_NAMES if name in table} == shown


def test_partners_show_country_names_and_agreement_validity(client, partners):
    page = text_of(client.get("/partners"))
    # The filter offers the partners' countries by name.
    assert '<option value="KZ">Kazakhstan</option>' in page
    assert '<option value="FR">' not in page
    assert "<td>Germany" in page and "<td>Japan" in page
    assert re.search(r"Inter-institutional agreement: valid [^<]+ – [^<]+<span class=\"badge text-bg-success\"", page)
    assert re.search(r"Old memorandum: valid Jan 1, 2015 – Dec 31, 2020 <span class=\"badge [^\"]+\">Expired", page)
    # The signed copy is for the head only.
    assert "secret.pdf" not in page and "signed-copy" not in page


def test_partners_page_in_tajik_names_countries_in_tajik(app, partners):
    user = UserFactory(locale="tg")
    page = text_of(client_for(app, user).get("/partners", query_string={"country": "DE"}))
    assert "Германия" in page  # CLDR's Tajik name of Germany


# --- constant number of statements --------------------------------------------------------------


def _statements(client, path):
    client.get(path)  # warm up
    with counting_statements() as statements:
        assert client.get(path).status_code == 200
    return len(statements)


@pytest.mark.parametrize("path", ["/", "/calls/", "/programs", "/partners"])
def test_public_lists_run_a_constant_number_of_statements(client, path):
    def build(count):
        with one_commit():
            for _ in range(count):
                call = CallFactory(places=[1, 2])
                call.places[0].partner.agreements.append(
                    Agreement(title="IIA", valid_until=date(2030, 1, 1), program=call.program)
                )
                CallFactory(program=call.program, opens_at=days(3), closes_at=days(9), places=[1])
                CallFactory(program=call.program, opens_at=days(-30), closes_at=days(-3), places=[1])

    build(1)
    few = _statements(client, path)
    build(6)
    many = _statements(client, path)
    assert few == many
