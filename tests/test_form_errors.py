"""A refused form as GOV.UK's pattern has it: an error summary first, linking to each field;
the fields marked invalid and described by their messages; the title saying so; and the
fields a browser can fill (autocomplete) or a phone can type (inputmode, type) marked."""

import html
import re

from .fixtures.auth import registration
from .fixtures.factories import FacultyFactory


def register(client, **changes):
    faculty = FacultyFactory()
    return client.post_form("/auth/register", registration(faculty, **changes), token_from="/auth/register")


def summary_links(page):
    summary = re.search(r'<div class="alert alert-danger error-summary"(.*?)</div>', page, re.S)
    assert summary, "no error summary"
    assert 'tabindex="-1"' in summary.group(1) and "autofocus" in summary.group(1)
    return [
        (target, html.unescape(text))
        for target, text in re.findall(r'<a href="#([\w-]+)">([^<]+)</a>', summary.group(1))
    ]


def test_a_refused_registration_sums_up_its_errors_first_and_links_to_each_field(client):
    response = register(client, email="not an address", password_again="something else entirely")
    page = response.get_data(as_text=True)

    assert response.status_code == 400
    assert re.search(r"<title>Error: Register", page)
    links = summary_links(page)
    assert [target for target, _ in links] == ["email", "password_again"]
    assert page.index("error-summary") < page.index('<form method="post" novalidate>')
    for target, message in links:
        field = re.search(rf'<input[^>]*id="{target}"[^>]*>', page).group(0)
        assert 'aria-invalid="true"' in field
        described = re.search(r'aria-describedby="([^"]+)"', field).group(1).split()
        first_error = re.search(rf'<div class="invalid-feedback" id="{described[0]}">([^<]+)</div>', page)
        label = re.search(rf'<label[^>]*for="{target}">([^<]+)', page).group(1).strip()
        assert first_error and message == f"{label}: {html.unescape(first_error.group(1))}"


def test_a_page_shown_for_the_first_time_has_no_summary_and_no_error_title(client):
    page = client.get("/auth/register").get_data(as_text=True)
    assert "error-summary" not in page and "<title>Error" not in page
    assert "aria-invalid" not in page


def test_fields_say_what_a_browser_may_fill_and_which_may_stay_empty(client):
    page = client.get("/auth/register").get_data(as_text=True)
    expected = {
        "email": 'autocomplete="email"',
        "full_name_native": 'autocomplete="name"',
        "phone": 'autocomplete="tel"',
        "password": 'autocomplete="new-password"',
        "password_again": 'autocomplete="new-password"',
    }
    for name, attribute in expected.items():
        field = re.search(rf'<input[^>]*id="{name}"[^>]*>', page).group(0)
        assert attribute in field, field
    assert 'type="tel"' in re.search(r'<input[^>]*id="phone"[^>]*>', page).group(0)
    phone_label = re.search(r'<label[^>]*for="phone">(.*?)</label>', page, re.S).group(1)
    assert "(optional)" in phone_label
    email_label = re.search(r'<label[^>]*for="email">(.*?)</label>', page, re.S).group(1)
    assert "(optional)" not in email_label

    login = client.get("/auth/login").get_data(as_text=True)
    assert 'autocomplete="current-password"' in login and 'autocomplete="username"' in login
