"""The department menu lists a page exactly when that page's own gate lets the user in."""

import re

import pytest

from irflow.web.navigation import DEPARTMENT_PAGES

from .fixtures.factories import FacultyFactory, UserFactory

ROLE_SETS = [(), ("coordinator",), ("examiner",), ("head",), ("admin",), ("coordinator", "examiner")]
MENU = re.compile(r'<a class="dropdown-item" href="([^"]+)">')


@pytest.mark.parametrize("roles", ROLE_SETS, ids=lambda roles: "+".join(roles) or "applicant")
def test_the_menu_offers_exactly_the_pages_that_open(app, client, login_as, roles):
    extra = {"coordinates": [FacultyFactory()]} if "coordinator" in roles else {}
    login_as(UserFactory(roles=list(roles), **extra))
    page = client.get("/applications/").get_data(as_text=True)
    offered = set(MENU.findall(page))
    with app.test_request_context():
        from flask import url_for

        paths = {url_for(endpoint) for endpoint, _label, _divider in DEPARTMENT_PAGES}
    assert offered <= paths
    for path in sorted(paths):
        status = client.get(path).status_code
        assert (status == 200) == (path in offered), (roles, path, status)
        assert status in (200, 403)


def test_an_applicant_sees_no_department_menu(client, login_as):
    login_as(UserFactory())
    assert "dropdown-menu" not in client.get("/applications/").get_data(as_text=True)
