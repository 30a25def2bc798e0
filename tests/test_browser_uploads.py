"""A file too large for the server, chosen on a phone: the browser lands back on the
application with the reason at the top, not on a broken connection or a dead end."""

import pytest

from .fixtures.browser import PHONE, check_page, log_in
from .fixtures.factories import PASSWORD, UserFactory, application_in


@pytest.fixture
def small_uploads(app):
    """A low MAX_CONTENT_LENGTH for this test (the live server shares the app's config)."""
    kept = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024
    yield app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = kept


def test_an_oversized_file_brings_the_phone_back_to_the_application_with_the_reason(open_page, small_uploads):
    application = application_in("draft", applicant=UserFactory(locale="tg"))
    page = open_page(PHONE, "tg")
    log_in(page, application.applicant, PASSWORD)
    page.goto(f"/applications/{application.id}")
    form = page.locator("#upload form")
    form.locator("select").first.select_option("cv")
    form.locator("input[type=file]").set_input_files(
        {"name": "scan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n" + b"0" * (4 * small_uploads)}
    )
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")

    assert page.url.split("#")[0].endswith(f"/applications/{application.id}")
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.title().startswith("Хато:")
    check_page(page)
