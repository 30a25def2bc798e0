"""Agreements with their terms (direction, mobility types, levels, ISCED field, language,
contact), saved and shown over HTTP."""

import re

import pytest
import sqlalchemy as sa

from irflow.extensions import db
from irflow.models import Agreement

from .fixtures.factories import PartnerFactory, covering_agreement, one_commit
from .fixtures.manage import agreement_form, count, head_client, text_of
from .fixtures.web import field_error, post
from .fixtures.web import text_of as raw_text_of

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
