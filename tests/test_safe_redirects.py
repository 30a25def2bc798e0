"""`next` targets: only paths on this site, never one a browser reads as another host.

One helper (irflow/web/safety.py) serves the login, the language switch and the manage pages."""

import pytest

from irflow.web.safety import MAX_TARGET_LENGTH, local_path_or_none

from .fixtures.factories import PASSWORD, CallFactory, UserFactory

# Each looks like a local path but resolves (dot segments) to `//evil.example...` or is otherwise
# read by browsers as another host.
OFF_SITE = [
    "/.//evil.example/x",
    "/x/..//evil.example",
    "/././/evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "/" + "a" * MAX_TARGET_LENGTH,
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_helper_refuses_targets_off_the_site(app, target):
    with app.test_request_context("/"):
        assert local_path_or_none(target) is None


@pytest.mark.parametrize(
    ("target", "path"),
    [
        ("/applications/", "/applications/"),
        ("/calls/3?tab=hosts", "/calls/3?tab=hosts"),
        ("/x/../applications/", "/applications/"),
        ("/./..//evil.example", "/evil.example"),
        ("/%2e%2e//evil.example", "/%2e%2e//evil.example"),
        ("http://localhost/admin/users", "/admin/users"),
    ],
)
def test_helper_keeps_local_targets(app, target, path):
    with app.test_request_context("/"):
        assert local_path_or_none(target) == path


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_redirects_off_the_site(client, target):
    UserFactory(email="student@example.org")

    response = client.post_form(
        "/auth/login", {"email": "student@example.org", "password": PASSWORD, "next": target}, token_from="/auth/login"
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_language_switch_never_redirects_off_the_site(client, target):
    response = client.post_form("/locale", {"locale": "ru", "next": target})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE[:3])
def test_manage_pages_never_redirect_off_the_site(client, login_as, target):
    call = CallFactory()
    login_as(UserFactory(roles=["head"], category="staff"))

    response = client.post_form(f"/manage/calls/{call.id}/unpublish", {"next": target}, token_from="/manage/calls")

    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/calls"
