"""Agreements with their terms (direction, mobility types, levels, ISCED field, language,
contact), and the rule that a call offers only hosts a valid agreement covers: the rule
itself, the warnings next to the call form's hosts, and publishing refused over HTTP."""

import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from irflow.calls.operations import host_problems
from irflow.extensions import db
from irflow.models import Agreement, Call, CallPlace, Partner
from irflow.partners.policy import academic_year_start, agreement_problems

from .fixtures.calls import edit_form
from .fixtures.factories import CallFactory, PartnerFactory, ProgramFactory, covering_agreement, one_commit
from .fixtures.manage import agreement_form, count, head_client, text_of
from .fixtures.web import field_error, follow, post
from .fixtures.web import text_of as raw_text_of

STUDY_2026 = SimpleNamespace(
    academic_year="2026/2027", mobility_type="study", eligible_categories=["bachelor", "master"]
)


def partner_with(*agreements):
    return Partner(name="Host", country="DE", kind="university", agreements=list(agreements))


def agreement(**fields):
    terms = {"direction": "both", "mobility_types": ["study"], "levels": ["bachelor", "master"]}
    return Agreement(**(terms | fields))


# --- the rule ------------------------------------------------------------------------------------


def test_the_academic_year_starts_on_the_first_of_september():
    assert academic_year_start("2026/2027") == date(2026, 9, 1)
    assert academic_year_start("2026/2028") is None
    assert academic_year_start("next year") is None


def test_a_covering_agreement_leaves_nothing_to_say():
    assert agreement_problems(partner_with(agreement()), STUDY_2026) == []
    # A CallPlace is taken for its partner.
    assert agreement_problems(CallPlace(partner=partner_with(agreement())), STUDY_2026) == []


def test_no_agreement():
    assert agreement_problems(partner_with(), STUDY_2026) == ["No agreement with this partner."]


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "covered"),
    [
        (None, None, True),  # open-ended
        (date(2020, 1, 1), date(2026, 9, 1), True),  # in force on the first day is enough
        (date(2026, 9, 1), None, True),
        (date(2020, 1, 1), date(2026, 8, 31), False),
        (date(2026, 9, 2), date(2030, 1, 1), False),
    ],
)
def test_the_agreement_must_be_in_force_when_the_academic_year_starts(valid_from, valid_until, covered):
    problems = agreement_problems(partner_with(agreement(valid_from=valid_from, valid_until=valid_until)), STUDY_2026)
    assert (problems == []) is covered


def test_what_an_agreement_not_in_force_says():
    expired = agreement_problems(partner_with(agreement(valid_until=date(2026, 6, 30))), STUDY_2026)
    assert len(expired) == 1 and "expired" in expired[0] and "2026/2027" in expired[0]
    future = agreement_problems(partner_with(agreement(valid_from=date(2027, 2, 1))), STUDY_2026)
    assert len(future) == 1 and "comes into force" in future[0]


def test_incoming_only_does_not_cover_a_call():
    problems = agreement_problems(partner_with(agreement(direction="incoming")), STUDY_2026)
    assert problems == ["The agreement in force covers incoming mobility only."]
    assert agreement_problems(partner_with(agreement(direction="outgoing")), STUDY_2026) == []


def test_the_mobility_type_must_be_covered():
    problems = agreement_problems(partner_with(agreement(mobility_types=["teaching"])), STUDY_2026)
    assert problems == ["The agreement in force does not cover this mobility type: Study."]


def test_every_level_the_call_is_open_to_must_be_covered():
    call = SimpleNamespace(academic_year="2026/2027", mobility_type="study", eligible_categories=["bachelor", "phd"])
    problems = agreement_problems(partner_with(agreement(levels=["bachelor", "master"])), call)
    assert problems == ["The agreement in force does not cover these levels: Doctoral (EQF 8)."]
    teachers = SimpleNamespace(academic_year="2026/2027", mobility_type="teaching", eligible_categories=["teacher"])
    assert agreement_problems(partner_with(agreement(mobility_types=["teaching"], levels=["staff"])), teachers) == []


def test_levels_may_come_from_several_agreements_in_force():
    call = SimpleNamespace(academic_year="2026/2027", mobility_type="study", eligible_categories=["master", "staff"])
    students, staff = agreement(levels=["master"]), agreement(levels=["staff"])
    assert agreement_problems(partner_with(students, staff), call) == []
    expired_staff = agreement(levels=["staff"], valid_until=date(2025, 1, 1))
    assert agreement_problems(partner_with(students, expired_staff), call) == [
        "The agreement in force does not cover these levels: Staff."
    ]


def test_an_agreement_recorded_without_its_terms_covers_nothing():
    """Rows from before the terms existed: direction both, no types or levels."""
    old = Agreement(direction="both", mobility_types=[], levels=[])
    assert agreement_problems(partner_with(old), STUDY_2026) == [
        "The agreement in force does not cover this mobility type: Study."
    ]


# --- agreement terms over HTTP ------------------------------------------------------------------------


@pytest.fixture
def head(app):
    return head_client(app)


@pytest.fixture
def partner():
    return PartnerFactory(name="Universität Leipzig")


def full_terms(**changes):
    return agreement_form(
        **{
            "direction": "outgoing",
            "mobility_types": ["study", "training"],
            "levels": ["bachelor", "master", "doctoral"],
            "isced_code": "0613",
            "places_per_year": "3",
            "months_per_year": "15",
            "days_per_year": "10",
            "language": "German",
            "language_level": "B2",
            "contact_name": "Anna Schmidt",
            "contact_email": "a.schmidt@uni-leipzig.example",
            **changes,
        }
    )


def test_agreement_terms_are_saved_and_shown_on_the_partners_pages(app, head, partner):
    response = post(head, f"/manage/partners/{partner.id}/agreements/new", full_terms())
    assert (response.status_code, response.headers["Location"]) == (302, f"/manage/partners/{partner.id}")
    saved = db.session.scalar(sa.select(Agreement).where(Agreement.partner_id == partner.id))
    assert (
        saved.direction,
        saved.mobility_types,
        saved.levels,
        saved.isced_code,
        saved.days_per_year,
        saved.language,
        saved.language_level,
        saved.contact_name,
        saved.contact_email,
    ) == (
        "outgoing",
        ["study", "training"],
        ["bachelor", "master", "doctoral"],
        "0613",
        10,
        "German",
        "B2",
        "Anna Schmidt",
        "a.schmidt@uni-leipzig.example",
    )

    page = text_of(head.get(f"/manage/partners/{partner.id}"))
    for shown in (
        "Outgoing · Study, Training · Bachelor (EQF 6), Master (EQF 7), Doctoral (EQF 8)",
        "ISCED-F 0613 · German at level B2",
        "Contact: Anna Schmidt",
        ">a.schmidt@uni-leipzig.example</a>",
        "10 days a year",
    ):
        assert shown in page, shown

    # The edit form shows them back.
    form_page = raw_text_of(head.get(f"/manage/agreements/{saved.id}"))
    assert re.search(r'<option selected value="outgoing">|<option value="outgoing" selected>', form_page)
    assert re.search(r'checked[^>]*value="training"|value="training"[^>]*checked', form_page)
    assert 'value="0613"' in form_page and 'value="a.schmidt@uni-leipzig.example"' in form_page

    # The public page shows the terms, not the contact.
    public = text_of(app.test_client().get("/partners"))
    assert "Study, Training" in public and "ISCED-F 0613" in public
    assert "a.schmidt@uni-leipzig.example" not in public


def test_editing_the_terms_replaces_them(head, partner):
    with one_commit():
        existing = covering_agreement(partner, title="IIA")
    response = post(
        head,
        f"/manage/agreements/{existing.id}",
        full_terms(mobility_types=["teaching"], levels=["staff"], isced_code=""),
    )
    assert response.status_code == 302
    db.session.refresh(existing)
    assert (existing.mobility_types, existing.levels, existing.isced_code) == (["teaching"], ["staff"], None)


@pytest.mark.parametrize(
    ("changes", "field_id", "message"),
    [
        ({"isced_code": "6"}, "isced_code", "Enter an ISCED-F 2013 code of 2 to 4 digits, for example 0613."),
        ({"isced_code": "06131"}, "isced_code", "Enter an ISCED-F 2013 code of 2 to 4 digits, for example 0613."),
        ({"isced_code": "06a3"}, "isced_code", "Enter an ISCED-F 2013 code of 2 to 4 digits, for example 0613."),
        ({"mobility_types": []}, "mobility_types", "Tick at least one mobility type."),
        ({"levels": []}, "levels", "Tick at least one level."),
        ({"levels": ["postdoc"]}, "levels", "'postdoc' is not a valid choice for this field."),
        ({"direction": "sideways"}, "direction", "Not a valid choice."),
        ({"language_level": "D1"}, "language_level", "Not a valid choice."),
        ({"language": ""}, "language_level", "Enter the language this level is required in."),
        ({"language_level": ""}, "language_level", "Choose the level required in German."),
        ({"contact_email": "anna at leipzig"}, "contact_email", "Enter a valid e-mail address."),
        ({"days_per_year": "-3"}, "days_per_year", "The number of days cannot be negative."),
    ],
)
def test_invalid_terms_are_refused_next_to_their_field(head, partner, changes, field_id, message):
    response = post(head, f"/manage/partners/{partner.id}/agreements/new", full_terms(**changes))
    assert response.status_code == 400
    assert field_error(raw_text_of(response), field_id) == message
    assert count(Agreement) == 0


def test_the_partner_form_takes_a_valid_contact_e_mail_only(head, partner):
    data = {"name": partner.name, "country": "DE", "city": "Leipzig", "kind": "university", "website": ""}
    response = post(head, f"/manage/partners/{partner.id}", data | {"contact_email": "not an address"})
    assert response.status_code == 400
    assert field_error(raw_text_of(response), "contact_email") == "Enter a valid e-mail address."
    response = post(head, f"/manage/partners/{partner.id}", data | {"contact_email": "mobility@uni-leipzig.example"})
    assert response.status_code == 302
    db.session.refresh(partner)
    assert partner.contact_email == "mobility@uni-leipzig.example"


# --- a call's hosts over HTTP -----------------------------------------------------------------------


def host_row(page, index):
    """The text of the hosts table's row `index` (0-based)."""
    at = page.index(f'name="places-{index}-partner"')
    return re.sub(r"\s+", " ", page[page.rindex("<tr>", 0, at) : page.index("</tr>", at)])


@pytest.fixture
def hosts():
    """A study call for bachelor and master students in 2026/2027, unpublished, with five hosts:
    one covered, the others each missing something."""
    with one_commit():
        names = ("Covered", "No Agreement", "Expired", "Teaching", "Bachelor")
        covered, none, expired, teaching_only, bachelor_only = (
            PartnerFactory(name=f"{name} University") for name in names
        )
        covering_agreement(covered)
        covering_agreement(expired, valid_until=date(2026, 6, 30))
        covering_agreement(teaching_only, mobility_types=["teaching"])
        covering_agreement(bachelor_only, levels=["bachelor"])
        call = CallFactory(
            program=ProgramFactory(),
            places=[],
            published=False,
            academic_year="2026/2027",
            mobility_type="study",
            eligible_categories=["bachelor", "master"],
        )
        call.places = [
            CallPlace(partner=partner, places=1, months=5)
            for partner in (covered, none, expired, teaching_only, bachelor_only)
        ]
    return call


def test_hosts_without_a_valid_agreement_are_flagged_next_to_their_row(head, hosts):
    page = raw_text_of(head.get(f"/manage/calls/{hosts.id}/edit"))
    assert "host-warning" not in host_row(page, 0)
    assert "No agreement with this partner." in host_row(page, 1)
    assert "The agreement expired on" in host_row(page, 2)
    assert "does not cover this mobility type: Study." in host_row(page, 3)
    assert "does not cover these levels: Master (EQF 7)." in host_row(page, 4)
    assert "host-warning" not in host_row(page, 5)  # an empty row


def test_saving_a_call_with_flagged_hosts_is_allowed_and_the_warnings_follow_what_was_typed(head, hosts):
    # Saved: the warning does not stop the head from preparing the call.
    response = post(head, f"/manage/calls/{hosts.id}/edit", edit_form(hosts, eligible_categories=["bachelor"]))
    assert response.status_code == 302
    page = raw_text_of(follow(head, response))
    assert "host-warning" not in host_row(page, 4)  # bachelor only is covered now
    assert "No agreement with this partner." in host_row(page, 1)

    # A refused form shows the warnings for the call as typed, next to each row.
    typed = edit_form(hosts, mobility_type="teaching", eligible_categories=["bachelor", "phd"], max_months="0")
    response = post(head, f"/manage/calls/{hosts.id}/edit", typed)
    assert response.status_code == 400
    page = raw_text_of(response)
    assert "host-warning" not in host_row(page, 0)
    assert "host-warning" not in host_row(page, 3)  # teaching is what it covers
    assert "does not cover these levels: Doctoral (EQF 8)." in host_row(page, 4)
    assert "No agreement with this partner." in host_row(page, 1)


def test_publishing_a_call_with_a_flagged_host_is_refused_with_the_message(head, hosts):
    response = post(head, f"/manage/calls/{hosts.id}/publish", {"next": "/manage/calls"})
    assert (response.status_code, response.headers["Location"]) == (302, f"/manage/calls/{hosts.id}/edit")
    db.session.expire_all()
    assert db.session.get(Call, hosts.id).published is False
    page = text_of(follow(head, response))
    assert "was not published: a valid agreement must cover every host." in page
    assert "No Agreement University: No agreement with this partner." in page
    assert "Teaching University: The agreement in force does not cover this mobility type: Study." in page
    assert "Covered University:" not in page
    assert app_public_404(head, hosts)


def app_public_404(head, call):
    return head.application.test_client().get(f"/calls/{call.id}").status_code == 404


def test_a_call_whose_hosts_are_covered_is_not_flagged_and_publishes(head, hosts):
    hosts.places = hosts.places[:1]
    db.session.commit()
    page = raw_text_of(head.get(f"/manage/calls/{hosts.id}/edit"))
    assert "host-warning" not in page
    response = post(head, f"/manage/calls/{hosts.id}/publish")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Call, hosts.id).published is True
    assert "is published" in text_of(follow(head, response))


def test_covering_a_flagged_host_lets_the_call_publish(head, hosts):
    for place in hosts.places[1:]:
        db.session.delete(place)
    db.session.commit()
    assert post(head, f"/manage/calls/{hosts.id}/publish").status_code == 302
    db.session.expire_all()
    assert db.session.get(Call, hosts.id).published is True


def test_a_published_call_can_always_be_unpublished(head, hosts):
    hosts.published = True
    db.session.commit()
    assert post(head, f"/manage/calls/{hosts.id}/unpublish").status_code == 302
    db.session.expire_all()
    assert db.session.get(Call, hosts.id).published is False


def test_saving_a_published_call_with_a_flagged_host_warns(head, hosts):
    hosts.published = True
    db.session.commit()
    response = post(head, f"/manage/calls/{hosts.id}/edit", edit_form(hosts))
    assert response.status_code == 302
    page = text_of(follow(head, response))
    assert "This published call has hosts no valid agreement covers" in page
    hosts.places = hosts.places[:1]
    db.session.commit()
    page = text_of(follow(head, post(head, f"/manage/calls/{hosts.id}/edit", edit_form(hosts))))
    assert "saved" in page and "This published call has hosts" not in page


def test_the_factory_s_calls_have_covered_hosts():
    call = CallFactory()
    assert host_problems(call) == {}


# --- the demo data --------------------------------------------------------------------------------


def test_seed_demo_gives_the_demo_calls_hosts_agreements_cover(app):
    app.config["DEVELOPMENT"] = True
    try:
        result = app.test_cli_runner().invoke(args=["seed-demo"])
    finally:
        app.config["DEVELOPMENT"] = False
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    calls = db.session.scalars(sa.select(Call)).all()
    assert calls and all(host_problems(call) == {} for call in calls)
    seeded = db.session.scalars(sa.select(Agreement)).all()
    assert seeded and all(agreement.mobility_types and agreement.levels for agreement in seeded)
    assert all(agreement.valid_until >= date.today() + timedelta(days=365) for agreement in seeded)
