"""The public pages in a real browser, on a phone in Tajik and on a desk in Russian: they lay
out without sideways scrolling, log no console error, and axe-core finds nothing serious."""

import pytest

from .fixtures.browser import DESK, PHONE, check_page
from .fixtures.factories import CallFactory

PUBLIC_PAGES = ["/", "/calls/", "/auth/login", "/auth/register", "/auth/forgot", "/privacy"]


@pytest.mark.parametrize(("viewport", "locale"), [(PHONE, "tg"), (DESK, "ru")], ids=["phone-tg", "desk-ru"])
def test_public_pages_pass_the_checks(open_page, viewport, locale):
    call = CallFactory()
    page = open_page(viewport, locale)
    for path in [*PUBLIC_PAGES, f"/calls/{call.id}"]:
        response = page.goto(path)
        assert response.ok, f"{path}: {response.status}"
        check_page(page)
    assert page.locator("html").get_attribute("lang") == locale
