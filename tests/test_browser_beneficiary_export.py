"""The Beneficiary Module export in a real browser, on a phone in Tajik and at desk size in
Russian: the gap list, then, once the gaps are filled, the download button."""

import pytest

from irflow.extensions import db

from .fixtures.beneficiary import complete_mobility
from .fixtures.browser import DESK, PHONE, check_page, log_in
from .fixtures.factories import PASSWORD, UserFactory


@pytest.mark.parametrize(("viewport", "locale"), [(PHONE, "tg"), (DESK, "ru")], ids=["phone-tg", "desk-ru"])
def test_the_head_sees_the_gaps_then_the_download(app, open_page, monkeypatch, viewport, locale):
    monkeypatch.setitem(app.config, "HOME_OID", "E10000001")
    head = UserFactory(roles=["head"], category="staff", locale=locale)
    application = complete_mobility()
    partner = application.allocated_place.partner
    oid, partner.oid, partner.latitude = partner.oid, None, None
    partner.longitude = None
    db.session.commit()

    page = open_page(viewport, locale)
    log_in(page, head, PASSWORD)
    page.goto(f"/manage/exports/beneficiary-module?call={application.call_id}")
    check_page(page)
    assert page.locator("#participant-gaps [data-column]").count() == 2
    assert page.locator("#download").count() == 0

    partner.oid, partner.latitude, partner.longitude = oid, 52.52, 13.405
    db.session.commit()
    page.reload()
    check_page(page)
    assert page.locator("#download").is_visible()
